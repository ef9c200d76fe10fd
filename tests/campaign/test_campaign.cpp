// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "matopt/campaign/campaign.hpp"
#include "matopt/campaign/lock.hpp"
#include "matopt/core/error.hpp"

namespace fs = std::filesystem;
using namespace matopt;

namespace {

// Two elements on a 0.1 grid plus a temperature; two objectives, one with a unit.
const char* kSpace = R"({
  "composition": {"elements": ["Ni", "Fe"], "granularity": 0.1},
  "process": [{"name": "T", "type": "continuous", "bounds": [300, 600]}],
  "objectives": [{"name": "eta", "goal": "maximize", "unit": "V"}, {"name": "life", "goal": "maximize"}]
})";

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("matopt-test-campaign-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& f) const { return path / f; }
};

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Three points on a trade-off: (eta, life) = (1, 3), (2, 2), (3, 1).
const char* kHistory =
    "composition,T,eta [V],life\n"
    "Ni0.1Fe0.9,300,1,3\n"
    "Ni0.5Fe0.5,400,2,2\n"
    "Ni0.9Fe0.1,500,3,1\n";

CampaignProposeOptions popt(int q, const std::string& strategy = "") {
  CampaignProposeOptions o;
  o.q = q;
  o.strategy = strategy;
  o.min_measurements = 3;  // the 3 history rows suffice (the default for this space is 2(d+1) = 8)
  return o;
}

Campaign make(const TempDir& dir, const std::string& name, std::uint64_t seed = 5, bool history = true) {
  if (history) write(dir / "history.csv", kHistory);
  return Campaign::create(dir / name, kSpace, dir.path, history ? std::optional<fs::path>(dir / "history.csv") : std::nullopt,
                          seed, {"matopt", "init", name});
}

}  // namespace

TEST_CASE("create and open round trip", "[campaign]") {
  TempDir dir("roundtrip");
  const Campaign c = make(dir, "c.h5", 123456789012345ULL);
  const Campaign o = Campaign::open(dir / "c.h5");
  CHECK(o.seed() == 123456789012345ULL);
  REQUIRE(o.measurements().size() == 3);
  CHECK(o.measurements()[1].id == "m2");
  CHECK(o.measurements()[1].round == 0);
  CHECK(o.measurements()[1].point[0] == Approx(0.5));  // Ni
  CHECK(o.measurements()[1].point[2] == 400.0);        // T
  CHECK(o.measurements()[2].outputs[0] == 3.0);
  CHECK(o.measurements()[2].outputs[1] == 1.0);
  CHECK(o.measurements()[0].formula == c.measurements()[0].formula);
  REQUIRE(o.history().size() == 1);
  CHECK(o.history()[0].command == "init");
  CHECK(o.history()[0].argv == std::vector<std::string>{"matopt", "init", "c.h5"});
  CHECK(o.history()[0].seed == 123456789012345ULL);
  CHECK(o.space().output_names() == std::vector<std::string>{"eta", "life"});
  CHECK(o.rounds() == 0);
  // A second create on the same path must refuse rather than overwrite.
  CHECK_THROWS_AS(make(dir, "c.h5"), InvalidArgument);
}

TEST_CASE("status: Pareto set and hypervolume by hand", "[campaign]") {
  TempDir dir("status");
  const Campaign c = make(dir, "c.h5");
  const CampaignStatus s = c.status();
  CHECK(s.measurements == 3);
  CHECK(s.pending == 0);
  CHECK(s.pareto_ids.size() == 3);
  CHECK(s.best[0] == 3.0);
  CHECK(s.best_id[0] == "m3");
  CHECK(s.best[1] == 3.0);
  // Reference = nadir (1, 1) minus 10 % of the range 2 = (0.8, 0.8). Union of boxes:
  // 0.2 * 2.2 + 1 * 1.2 + 1 * 0.2 = 1.84.
  REQUIRE(s.hypervolume.size() == 1);
  CHECK(s.hypervolume[0] == Approx(1.84).epsilon(1e-12));
  CHECK(s.ref_point[0] == Approx(0.8));
}

TEST_CASE("ingest rejects a bad file listing every problem and writes nothing", "[campaign]") {
  TempDir dir("bad");
  Campaign c = make(dir, "c.h5");
  const auto props = c.propose(popt(2, "random"), {});
  REQUIRE(props.size() == 2);
  const std::string before = slurp(dir / "c.h5");
  write(dir / "bad.csv",
        "id,composition,T,eta [mV],life,colour\n"
        "r009-01,,,0.3,1,\n"                     // unknown id
        + props[0].id + ",,,abc,1,\n"             // text in a numeric cell
        + props[1].id + ",,,nan,1,\n"             // NaN
        ",Ni0.5Cu0.5,400,1,1,\n"                   // element outside the space
        ",Ni0.5Fe0.5,900,1,1,\n"                   // T outside its bounds
        ",Ni0.3Fe0.7,400,1,1,\n"
        ",Ni0.3Fe0.7,400,1,1,\n");                 // duplicated row
  try {
    c.ingest(dir / "bad.csv");
    FAIL("expected IngestError");
  } catch (const IngestError& e) {
    const auto& p = e.problems();
    auto has = [&](std::size_t row, const std::string& col, const std::string& what) {
      for (const auto& x : p)
        if (x.where.row == row && x.where.column == col && x.message.find(what) != std::string::npos) return true;
      return false;
    };
    CHECK(has(1, "eta [mV]", "wrong unit"));
    CHECK(has(1, "colour", "unknown column"));
    CHECK(has(2, "id", "unknown proposal id"));
    CHECK(has(3, "eta [mV]", "expected a number"));
    CHECK(has(4, "eta [mV]", "number"));
    CHECK(has(5, "composition", "element Cu"));
    CHECK(has(6, "T", "outside the design space"));
    CHECK(has(8, "", "duplicated row"));
    CHECK(p.size() == 8);
    CHECK(std::string(e.what()).find("bad.csv: row 2, column 'id'") != std::string::npos);
  }
  CHECK(slurp(dir / "c.h5") == before);

  // Missing objective column and missing composition are reported too.
  write(dir / "missing.csv", "T,life\n400,1\n");
  try {
    c.ingest(dir / "missing.csv");
    FAIL("expected IngestError");
  } catch (const IngestError& e) {
    CHECK(e.problems().size() >= 2);
    CHECK(std::string(e.what()).find("missing column for objective 'eta'") != std::string::npos);
  }
  CHECK(slurp(dir / "c.h5") == before);
}

TEST_CASE("ingest closes proposals, records failures, and re-ingestion changes nothing", "[campaign]") {
  TempDir dir("ingest");
  Campaign c = make(dir, "c.h5");
  const auto props = c.propose(popt(2, "random"), {});
  c.write_lab_csv(props, dir / "next.csv");
  const std::string lab = slurp(dir / "next.csv");
  CHECK(lab.rfind("id,composition,Ni,Fe,T,eta [V],life,status\n", 0) == 0);
  write(dir / "res.csv", "id,composition,T,eta [V],life,status\n" + props[0].id + ",,,2.5,2.5,ok\n" + props[1].id +
                             ",,,,,failed\n,Ni0.2Fe0.8,450,0.5,0.5,\n");
  const IngestSummary s = c.ingest(dir / "res.csv", {"matopt", "ingest"});
  CHECK(s.added == 3);
  CHECK(s.failed == 1);
  CHECK(s.closed.size() == 2);
  CHECK(c.measurements().size() == 6);
  CHECK(c.proposals()[0].state == "measured");
  CHECK(c.proposals()[1].state == "failed");
  CHECK(c.measurements()[4].failed);
  CHECK(std::isnan(c.measurements()[4].outputs[0]));
  CHECK(c.measurements()[5].proposal_id.empty());
  CHECK(c.measurements()[5].point[2] == 450.0);
  const CampaignStatus st = c.status();
  CHECK(st.failed == 1);
  CHECK(st.measurements == 5);
  CHECK(st.pending == 0);

  const std::string after_first = slurp(dir / "c.h5");
  const IngestSummary again = c.ingest(dir / "res.csv");
  CHECK(again.added == 0);
  CHECK(again.unchanged == 3);
  CHECK(slurp(dir / "c.h5") == after_first);

  // The same proposal with different values is a conflict, not a silent overwrite.
  write(dir / "conflict.csv", "id,eta [V],life\n" + props[0].id + ",9,9\n");
  CHECK_THROWS_AS(c.ingest(dir / "conflict.csv"), IngestError);
  CHECK(slurp(dir / "c.h5") == after_first);
  CHECK(Campaign::open(dir / "c.h5").history().back().command == "ingest");

  // With a failure on record, propose also fits the success model (an extra constrained output);
  // the proposal still carries predictions for the declared outputs only.
  CampaignProposeOptions po = popt(1, "qnehvi");
  po.raw_samples = 64;
  po.model_options = R"({"restarts": 1})";
  const auto next = c.propose(po, {});
  REQUIRE(next.size() == 1);
  CHECK(next[0].predicted_mean.size() == 2);
  CHECK(std::isfinite(next[0].predicted_mean[0]));
  CHECK(std::isfinite(next[0].acquisition));
  CHECK(c.space().is_feasible(next[0].point));
}

TEST_CASE("proposals are bit-identical for the same campaign and seed", "[campaign]") {
  TempDir dir("determinism");
  Campaign a = make(dir, "a.h5", 99);
  Campaign b = make(dir, "b.h5", 99);
  Campaign other = make(dir, "o.h5", 100);
  CampaignProposeOptions opt;
  opt.q = 2;
  opt.raw_samples = 128;
  opt.model_options = R"({"restarts": 1})";
  opt.min_measurements = 3;
  // Three measurements per output: model-based proposals (qNEHVI).
  const auto pa = a.propose(opt, {});
  const auto pb = b.propose(opt, {});
  REQUIRE(pa.size() == 2);
  REQUIRE(pb.size() == 2);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].id == pb[i].id);
    CHECK((pa[i].point.array() == pb[i].point.array()).all());
    CHECK((pa[i].predicted_mean.array() == pb[i].predicted_mean.array()).all());
    CHECK(pa[i].acquisition == pb[i].acquisition);
    CHECK(std::isfinite(pa[i].acquisition));
    CHECK(pa[i].strategy == "qnehvi");
  }
  // The seed matters (the initial design is a seeded sample).
  TempDir d2("determinism2");
  Campaign e1 = make(d2, "e1.h5", 1, false);
  Campaign e2 = make(d2, "e2.h5", 2, false);
  const auto q1 = e1.propose(popt(3), {});
  const auto q2 = e2.propose(popt(3), {});
  bool differ = false;
  for (std::size_t i = 0; i < q1.size(); ++i) differ = differ || (q1[i].point.array() != q2[i].point.array()).any();
  CHECK(differ);
  CHECK(q1[0].strategy == "initial");
  // Round 2 of the same file continues with new ids and counts round 1 as pending.
  const auto q1b = e1.propose(popt(1), {});
  CHECK(q1b[0].id == "r002-01");
  CHECK(e1.status().pending == 4);
  (void)other;
}

TEST_CASE("lock: a second command waits, then gives up with a clear message", "[campaign]") {
  TempDir dir("lock");
  Campaign c = make(dir, "c.h5");
  const std::string before = slurp(dir / "c.h5");
  {
    CampaignLock held(dir / "c.h5", 0);
    CHECK(fs::exists(dir / "c.h5.lock"));
    try {
      CampaignLock second(dir / "c.h5", 0.2);
      FAIL("expected IOError");
    } catch (const IOError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("in use by another matopt command") != std::string::npos);
      CHECK(msg.find("pid " + std::to_string(::getpid())) != std::string::npos);
    }
    ::setenv("MATOPT_LOCK_TIMEOUT", "0.1", 1);
    CHECK_THROWS_AS(c.propose(popt(1, "random"), {}), IOError);
    ::unsetenv("MATOPT_LOCK_TIMEOUT");
    CHECK(slurp(dir / "c.h5") == before);
  }
  // Released: the next command proceeds.
  CHECK(c.propose(popt(1, "random"), {}).size() == 1);
}

TEST_CASE("report writes HTML with inline SVG and its tables", "[campaign]") {
  TempDir dir("report");
  Campaign c = make(dir, "c.h5");
  write(dir / "more.csv",
        "composition,T,eta [V],life\nNi0.2Fe0.8,320,1.2,2.9\nNi0.4Fe0.6,380,1.8,2.1\nNi0.7Fe0.3,550,2.6,1.4\n");
  c.ingest(dir / "more.csv");
  c.propose(popt(2, "random"), {});
  const auto files = write_campaign_report(c, dir / "rep", 1);
  const std::string html = slurp(dir / "rep" / "index.html");
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("Pareto front") != std::string::npos);
  CHECK(html.find("Calibration") != std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);  // self-contained
  CHECK(fs::exists(dir / "rep" / "cv_0.csv"));
  CHECK(fs::exists(dir / "rep" / "pareto.csv"));
  const std::string pareto = slurp(dir / "rep" / "pareto.csv");
  CHECK(pareto.rfind("id,eta,life\n", 0) == 0);
  CHECK(files.size() >= 7);
  // Each proposal's applicability-domain score, in the table and the page.
  const CsvTable proposals = read_csv(dir / "rep" / "proposals.csv");
  REQUIRE(proposals.header.back() == "domain_score");
  REQUIRE(proposals.rows.size() == 2);
  for (const auto& row : proposals.rows) CHECK(std::stod(row.back()) > 0.0);  // new points: not at a measurement
  CHECK(html.find("<th>domain score</th>") != std::string::npos);
  CHECK(html.find("the model is extrapolating") != std::string::npos);
  // What drives each objective: one importance row per design coordinate, per objective.
  CHECK(html.find("What drives each objective") != std::string::npos);
  CHECK(html.find("Permutation importance: eta") != std::string::npos);
  const CsvTable drivers = read_csv(dir / "rep" / "drivers_0.csv");
  REQUIRE(drivers.header == std::vector<std::string>{"coordinate", "mae_increase", "mae_increase_std"});
  std::vector<std::string> coords;
  for (const auto& row : drivers.rows) coords.push_back(row[0]);
  std::sort(coords.begin(), coords.end());
  CHECK(coords == std::vector<std::string>{"T", "fraction Fe", "fraction Ni"});
  // Partial dependence on each element: 11 fractions per element, a chart per objective.
  CHECK(html.find("Partial dependence: eta") != std::string::npos);
  const CsvTable pd = read_csv(dir / "rep" / "partial_dependence_0.csv");
  REQUIRE(pd.rows.size() == 22);
  CHECK(pd.rows[0][0] == "Ni");
  CHECK(pd.rows[10][1] == "1");
  CHECK(pd.rows[11][0] == "Fe");
}

TEST_CASE("in-memory ingest: same problems as the CSV file, nothing written; then the same result", "[campaign]") {
  TempDir dir("table");
  Campaign c = make(dir, "c.h5");
  const auto props = c.propose(popt(2, "random"), {});
  const std::string text = "id,composition,T,eta [V],life,status\n" + props[0].id + ",,,abc,1,\n" + props[1].id +
                           ",,,2.5,2.5,ok\n,Ni0.5Fe0.5,900,1,1,\n";
  write(dir / "bad.csv", text);
  const std::string before = slurp(dir / "c.h5");
  std::string from_file, from_table;
  try {
    c.ingest(dir / "bad.csv");
  } catch (const IngestError& e) {
    from_file = e.what();
  }
  // The table as a caller builds it in memory: header + cells, no line numbers, named like the file.
  CsvTable t = parse_csv(text, (dir / "bad.csv").string());
  t.line_of_row.clear();
  try {
    c.ingest(t);
  } catch (const IngestError& e) {
    from_table = e.what();
    REQUIRE(e.problems().size() == 2);
    CHECK(e.problems()[0].where.row == 2);
    CHECK(e.problems()[0].where.column == "eta [V]");
    CHECK(e.problems()[1].where.row == 4);
  }
  CHECK(!from_file.empty());
  CHECK(from_table == from_file);
  CHECK(slurp(dir / "c.h5") == before);

  CsvTable good = parse_csv("id,eta [V],life\n" + props[0].id + ",1.5,0.5\n", "lab sheet");
  const IngestSummary s = c.ingest(good);
  CHECK(s.added == 1);
  CHECK(s.closed == std::vector<std::string>{props[0].id});
  CHECK(c.measurements().back().source == "lab sheet");
  CHECK(c.measurements().back().outputs[0] == 1.5);
  CHECK(Campaign::open(dir / "c.h5").history().back().summary.rfind("lab sheet: 1 new measurements", 0) == 0);
}

TEST_CASE("create from a history table equals create from the CSV; lab_sheet is the lab CSV", "[campaign]") {
  TempDir dir("history-table");
  const Campaign a = make(dir, "a.h5");
  const Campaign b = Campaign::create(dir / "b.h5", kSpace, dir.path, parse_csv(kHistory, "history.csv"), 5);
  REQUIRE(b.measurements().size() == a.measurements().size());
  for (std::size_t i = 0; i < a.measurements().size(); ++i) {
    CHECK(b.measurements()[i].point == a.measurements()[i].point);
    CHECK(b.measurements()[i].outputs == a.measurements()[i].outputs);
    CHECK(b.measurements()[i].source == "history.csv");
  }
  Campaign c = Campaign::open(dir / "a.h5");
  const auto props = c.propose(popt(2, "random"), {});
  c.write_lab_csv(props, dir / "next.csv");
  const CsvTable sheet = c.lab_sheet(props);
  const CsvTable file = read_csv(dir / "next.csv");
  CHECK(sheet.header == file.header);
  CHECK(sheet.rows == file.rows);
  CHECK(sheet.line_of_row == file.line_of_row);
}
