// SPDX-License-Identifier: MIT
// Campaigns whose design space has an oracle: oracle outputs are computed (never asked of the lab),
// cached in the file so no point is sent twice, used exactly by propose, and a failing oracle leaves
// the campaign file byte-identical.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "matopt/campaign/campaign.hpp"
#include "matopt/core/error.hpp"
#include "matopt/optimize/oracle.hpp"

namespace fs = std::filesystem;
using namespace matopt;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("matopt-test-oracle-campaign-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& f) const { return path / f; }
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// s = 10 x_Ni (exact); every input line (without the row number) is logged to seen.txt.
const char* kOracle = R"(import csv, sys
rows = list(csv.DictReader(sys.stdin))
with open("seen.txt", "a") as f:
    for r in rows:
        f.write(",".join(v for k, v in r.items() if k != "row") + "\n")
print("s")
for r in rows:
    print(repr(10 * float(r["Ni"])))
)";

std::string space(const std::string& command = R"(["/usr/bin/python3", "oracle.py"])", const std::string& granularity = "0.05") {
  return R"({
  "composition": {"elements": ["Ni", "Fe", "Co"], "granularity": )" + granularity + R"(},
  "objectives": [{"name": "hardness"}],
  "output_constraints": [{"name": "s", "max": 3}],
  "oracles": [{"name": "calc", "command": )" + command + R"(, "outputs": ["s"], "batch": 64}]
})";
}

const char* kHistory =
    "composition,hardness\n"
    "Ni0.1Fe0.9,1\n"
    "Ni0.2Co0.8,2\n"
    "Fe0.5Co0.5,3\n"
    "Ni0.25Fe0.25Co0.5,2.5\n";

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("oracle campaign: computed outputs, exact constraint, cache across commands", "[oracle_campaign]") {
  TempDir dir("loop");
  write(dir / "oracle.py", kOracle);
  write(dir / "history.csv", kHistory);
  Campaign c = Campaign::create(dir / "c.h5", space(), dir.path, dir / "history.csv", 7);
  REQUIRE(c.measurements().size() == 4);
  const Eigen::Index s_col = 1;
  REQUIRE(c.space().output_names()[1] == "s");
  CHECK(c.measurements()[0].outputs[s_col] == Approx(1.0));
  CHECK(c.measurements()[1].outputs[s_col] == Approx(2.0));
  CHECK(c.measurements()[2].outputs[s_col] == 0.0);
  CHECK(count_lines(slurp(dir / "seen.txt")) == 4);

  CampaignProposeOptions po;
  po.q = 3;
  po.raw_samples = 64;
  po.min_measurements = 2;
  auto props = Campaign::open(dir / "c.h5").propose(po);
  REQUIRE(props.size() == 3);
  for (const auto& p : props) {
    CHECK(p.point[0] * 10 <= 3 + 1e-9);  // every proposal satisfies the oracle constraint
    CHECK(std::abs(p.predicted_mean[s_col] - 10 * p.point[0]) < 1e-9);  // exact, not modelled
    CHECK(p.predicted_std[s_col] < 1e-6);
  }

  // The lab sheet has no column for the oracle output; a results file with one is refused.
  Campaign opened = Campaign::open(dir / "c.h5");
  const CsvTable sheet = opened.lab_sheet(props);
  CHECK(std::find(sheet.header.begin(), sheet.header.end(), "s") == sheet.header.end());
  CHECK(std::find(sheet.header.begin(), sheet.header.end(), "hardness") != sheet.header.end());
  CsvTable bad;
  bad.file = "bad.csv";
  bad.header = {"id", "hardness", "s"};
  bad.rows = {{props[0].id, "4", "1"}};
  CHECK_THROWS_WITH(opened.ingest(bad), Catch::Contains("bad.csv: row 1, column 's'") &&
                                            Catch::Contains("'s' is computed by oracle 'calc', not measured; remove the column"));

  CsvTable res;
  res.file = "r1.csv";
  res.header = {"id", "hardness"};
  for (const auto& p : props) res.rows.push_back({p.id, "5"});
  opened.ingest(res);
  Campaign after = Campaign::open(dir / "c.h5");
  REQUIRE(after.measurements().size() == 7);
  CHECK(after.measurements()[4].outputs[s_col] == Approx(10 * props[0].point[0]));
  // Re-ingesting the same file is still a no-op (the stored oracle value does not count as a change).
  CHECK_FALSE(after.ingest(res).changed());

  (void)after.propose(po);
  // No point was ever sent twice, and the cache in the file holds every point sent.
  const std::string seen = slurp(dir / "seen.txt");
  std::set<std::string> lines;
  std::istringstream in(seen);
  for (std::string l; std::getline(in, l);) CHECK(lines.insert(l).second);
  const Campaign final_state = Campaign::open(dir / "c.h5");
  CHECK(final_state.oracle_cache().size("calc") == lines.size());
  CHECK(lines.size() > 4 + 64);  // history + first candidates + second round's candidates
}

TEST_CASE("oracle campaign: a failing oracle leaves the file byte-identical", "[oracle_campaign]") {
  TempDir dir("fail");
  write(dir / "oracle.py", kOracle);
  write(dir / "history.csv", kHistory);
  (void)Campaign::create(dir / "c.h5", space(), dir.path, dir / "history.csv", 7);
  // The script breaks after init (a stand-in for a CALPHAD licence that expired).
  write(dir / "oracle.py", "import sys\nsys.stderr.write('licence expired\\n')\nsys.exit(3)\n");
  const std::string before = slurp(dir / "c.h5");
  CampaignProposeOptions po;
  po.q = 2;
  po.raw_samples = 32;
  po.min_measurements = 2;
  Campaign c = Campaign::open(dir / "c.h5");
  CHECK_THROWS_AS(c.propose(po), OracleError);
  try {
    c.propose(po);
  } catch (const OracleError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("oracle 'calc' (/usr/bin/python3 oracle.py) exited with status 3 on a batch of") &&
                             Catch::EndsWith("last lines of its stderr:\nlicence expired"));
  }
  CHECK(slurp(dir / "c.h5") == before);

  CsvTable res;
  res.file = "new.csv";
  res.header = {"composition", "hardness"};
  res.rows = {{"Ni0.05Fe0.95", "2"}};
  CHECK_THROWS_AS(c.ingest(res), OracleError);
  CHECK(slurp(dir / "c.h5") == before);
  CHECK(Campaign::open(dir / "c.h5").measurements().size() == 4);
}

TEST_CASE("oracle campaign: in memory, same path, and add_results refuses oracle values", "[oracle_campaign]") {
  TempDir dir("mem");
  write(dir / "oracle.py", kOracle);
  // A 0.25 grid: 15 compositions, 9 of them with s = 10 Ni <= 3; 32 Sobol samples repeat many.
  Campaign c = Campaign::in_memory(space(R"(["/usr/bin/python3", "oracle.py"])", "0.25"), dir.path, 3);
  CampaignProposeOptions po;
  po.q = 6;
  po.raw_samples = 32;
  const auto first = c.propose(po);  // initial design: drawn only from candidates the oracle allows
  REQUIRE(first.size() == 6);
  for (const auto& p : first) CHECK(p.point[0] * 10 <= 3 + 1e-9);
  for (std::size_t i = 0; i < first.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) CHECK((first[i].point - first[j].point).cwiseAbs().maxCoeff() > 1e-9);
  ResultRow bad;
  bad.proposal_id = first[0].id;
  bad.outputs = Eigen::Vector2d(1.0, 2.0);
  CHECK_THROWS_WITH(c.add_results({bad}), "add_results: row 1: s: computed by oracle 'calc'; pass NaN");
  std::vector<ResultRow> rows;
  for (const auto& p : first) {
    ResultRow r;
    r.proposal_id = p.id;
    r.outputs = Eigen::Vector2d(p.point[1], std::nan(""));
    rows.push_back(r);
  }
  c.add_results(rows);
  CHECK(c.measurements()[0].outputs[1] == Approx(10 * first[0].point[0]));
  REQUIRE(c.oracle_cache().find("calc", first[1].point) != nullptr);
  CHECK((*c.oracle_cache().find("calc", first[1].point))[0] == Approx(10 * first[1].point[0]));
  CHECK(c.oracle_cache().size("calc") <= 15);  // each distinct composition sent once
}

TEST_CASE("oracle campaign: a command that does not exist fails init with the oracle's name", "[oracle_campaign]") {
  TempDir dir("missing");
  write(dir / "history.csv", kHistory);
  CHECK_THROWS_WITH(Campaign::create(dir / "c.h5", space(R"(["matopt-no-such-oracle"])"), dir.path, dir / "history.csv", 7),
                    Catch::StartsWith("oracle 'calc' (matopt-no-such-oracle) could not be started: No such file or directory"));
  CHECK_FALSE(fs::exists(dir / "c.h5"));
}

TEST_CASE("oracle campaign: nan from an oracle rules candidates out and never reaches the models", "[oracle_campaign]") {
  TempDir dir("nan");
  // s = 10 Ni (constraint s <= 6); m (a model input) does not converge (nan) when Fe > 0.5.
  write(dir / "oracle.py", R"(import csv, sys
rows = list(csv.DictReader(sys.stdin))
print("s,m")
for r in rows:
    print(repr(10 * float(r["Ni"])) + "," + ("nan" if float(r["Fe"]) > 0.5 else repr(float(r["Co"]))))
)");
  write(dir / "history.csv", kHistory);  // Ni0.1Fe0.9 has m = nan
  const std::string sp = R"({
  "composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.05},
  "objectives": [{"name": "hardness"}],
  "output_constraints": [{"name": "s", "max": 6}],
  "oracles": [{"name": "calc", "command": ["/usr/bin/python3", "oracle.py"], "outputs": ["s", "m"], "model_input": true}]
})";
  Campaign c = Campaign::create(dir / "c.h5", sp, dir.path, dir / "history.csv", 5);
  CampaignProposeOptions po;
  po.q = 4;
  po.raw_samples = 128;
  po.min_measurements = 2;
  const auto props = c.propose(po);
  REQUIRE(props.size() == 4);
  for (const auto& p : props) {
    CHECK(p.point[1] <= 0.5 + 1e-12);  // m would be nan
    CHECK(p.point[0] * 10 <= 6 + 1e-9);
    CHECK(std::isfinite(p.predicted_mean[0]));  // the hardness GP saw no NaN input
    CHECK(std::isfinite(p.predicted_std[0]));
    CHECK(std::isfinite(p.acquisition));
  }
}

TEST_CASE("oracle campaign: an oracle-backed objective is exact in a two-objective qNEHVI round", "[oracle_campaign]") {
  TempDir dir("objective");
  write(dir / "oracle.py", kOracle);
  write(dir / "history.csv", kHistory);
  const std::string sp = R"({
  "composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.05},
  "objectives": [{"name": "hardness"}, {"name": "s", "goal": "minimize"}],
  "oracles": [{"name": "calc", "command": ["/usr/bin/python3", "oracle.py"], "outputs": ["s"]}]
})";
  Campaign c = Campaign::create(dir / "c.h5", sp, dir.path, dir / "history.csv", 9);
  CampaignProposeOptions po;
  po.q = 3;
  po.raw_samples = 64;
  po.min_measurements = 2;
  const auto props = c.propose(po);
  REQUIRE(props.size() == 3);
  CHECK(props[0].strategy == "qnehvi");
  for (const auto& p : props) {
    CHECK(p.predicted_mean[1] == Approx(10 * p.point[0]).margin(1e-12));
    CHECK(p.predicted_std[1] < 1e-6);
    CHECK(p.predicted_std[0] > 1e-3);  // hardness is learned
    CHECK(std::isfinite(p.acquisition));
  }
  // The lab sheet asks only for the learned objective.
  const CsvTable sheet = c.lab_sheet(props);
  CHECK(sheet.header == std::vector<std::string>{"id", "composition", "Ni", "Fe", "Co", "hardness", "status"});
  // The report cross-validates only the learned objective.
  CsvTable res;
  res.file = "r1.csv";
  res.header = {"id", "hardness"};
  for (const auto& p : props) res.rows.push_back({p.id, "2"});
  Campaign::open(dir / "c.h5").ingest(res);
  (void)write_campaign_report(Campaign::open(dir / "c.h5"), dir / "report", 1);
  const std::string html = slurp(dir / "report" / "index.html");
  CHECK(html.find("s is computed by oracle 'calc', not modelled: no cross-validation.") != std::string::npos);
  CHECK(fs::exists(dir / "report" / "cv_0.csv"));
  CHECK_FALSE(fs::exists(dir / "report" / "cv_1.csv"));
}
