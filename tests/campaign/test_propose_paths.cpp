// SPDX-License-Identifier: MIT
// One propose path: an in-memory campaign and a campaign file propose the same points from the same
// measurements; objective thresholds are the reference point; the default reference point is
// inferred from the Pareto front.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "matopt/acquisition/reference_point.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/models/domain.hpp"

namespace fs = std::filesystem;
using namespace matopt;

namespace {

const char* kSpace = R"({
  "process": [{"name": "a", "type": "continuous", "bounds": [0, 1]},
              {"name": "b", "type": "continuous", "bounds": [0, 1]}],
  "objectives": [{"name": "f", "goal": "minimize"}, {"name": "g", "goal": "maximize"}]
})";

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("matopt-test-paths-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Eigen::VectorXd lab(const Eigen::VectorXd& x) {
  Eigen::VectorXd y(2);
  y << (x[0] - 0.3) * (x[0] - 0.3) + x[1], std::sin(3.0 * x[0]) + 0.5 * x[1];
  return y;
}

}  // namespace

TEST_CASE("an in-memory campaign proposes exactly what the campaign file proposes", "[campaign][propose_paths]") {
  TempDir dir("same");
  Campaign file = Campaign::create(dir.path / "c.h5", kSpace, dir.path, std::nullopt, 21);
  Campaign mem = Campaign::in_memory(kSpace, dir.path, 21);
  CampaignProposeOptions po;
  po.q = 2;
  po.raw_samples = 64;
  po.model_options = R"({"restarts": 1})";
  for (int round = 1; round <= 4; ++round) {
    const auto pf = file.propose(po);
    const auto pm = mem.propose(po);
    REQUIRE(pf.size() == 2);
    REQUIRE(pm.size() == 2);
    // The file path writes the lab CSV, the lab fills it in, ingest reads it back (text round trip).
    const fs::path lab_csv = dir.path / ("round" + std::to_string(round) + ".csv");
    file.write_lab_csv(pf, lab_csv);
    CsvTable t = read_csv(lab_csv);
    std::vector<ResultRow> rows;
    for (std::size_t k = 0; k < pf.size(); ++k) {
      CHECK(pf[k].id == pm[k].id);
      CHECK(pf[k].strategy == pm[k].strategy);
      for (Eigen::Index i = 0; i < 2; ++i) CHECK(pf[k].point[i] == pm[k].point[i]);  // bit-identical
      const Eigen::VectorXd y = lab(pm[k].point);
      t.rows[k][3] = format_double(y[0]);
      t.rows[k][4] = format_double(y[1]);
      t.rows[k][5] = "ok";
      ResultRow r;
      r.proposal_id = pm[k].id;
      r.outputs = y;
      rows.push_back(r);
    }
    write_csv(lab_csv, t.header, t.rows);
    file.ingest(lab_csv);
    mem.add_results(rows);
  }
  CHECK(mem.is_in_memory());
  CHECK_FALSE(file.is_in_memory());
  CHECK(mem.measurements().size() == 8);
  CHECK(mem.proposals().back().strategy == "qnehvi");  // the default for two objectives
  CHECK(Campaign::open(dir.path / "c.h5").measurements().size() == 8);
}

TEST_CASE("add_results validates every row before adding any", "[campaign][propose_paths]") {
  Campaign c = Campaign::in_memory(kSpace, {}, 1);
  CampaignProposeOptions po;
  po.q = 2;
  const auto p = c.propose(po);
  ResultRow ok;
  ok.proposal_id = p[0].id;
  ok.outputs = Eigen::Vector2d(1.0, 2.0);
  ResultRow unknown = ok;
  unknown.proposal_id = "r009-01";
  CHECK_THROWS_WITH(c.add_results({ok, unknown}), Catch::Contains("row 2") && Catch::Contains("r009-01"));
  CHECK(c.measurements().empty());
  ResultRow twice = ok;
  CHECK_THROWS_WITH(c.add_results({ok, twice}), Catch::Contains("answered twice"));
  ResultRow short_row = ok;
  short_row.outputs = Eigen::VectorXd::Constant(1, 1.0);
  CHECK_THROWS_WITH(c.add_results({short_row}), Catch::Contains("expected 2"));
  ResultRow inf = ok;
  inf.outputs[1] = INFINITY;
  CHECK_THROWS_WITH(c.add_results({inf}), Catch::Contains("g: expected a finite number"));
  const IngestSummary s = c.add_results({ok});
  CHECK(s.added == 1);
  CHECK(c.proposals()[0].state == "measured");
  CHECK(c.measurements()[0].point == p[0].point);
}

TEST_CASE("objective thresholds: validated and used as the reference point", "[campaign][propose_paths]") {
  CHECK_THROWS_WITH(DesignSpace::from_json_text(R"({"process": [{"name": "a", "bounds": [0, 1]}],
      "objectives": [{"name": "f", "goal": "target", "target": 1, "threshold": 2}]})"),
                    Catch::Contains("objectives[0].threshold") && Catch::Contains("target goal"));
  CHECK_THROWS_WITH(DesignSpace::from_json_text(R"({"process": [{"name": "a", "bounds": [0, 1]}],
      "objectives": [{"name": "f", "threshold": "high"}]})"),
                    Catch::Contains("objectives[0].threshold") && Catch::Contains("expected a number"));
  DesignSpaceSpec spec = DesignSpace::from_json_text(kSpace).spec();
  spec.objectives[0].threshold = std::nan("") ;
  spec.objectives[1].threshold = INFINITY;
  CHECK_THROWS_WITH(DesignSpace(spec), Catch::Contains("objectives[1].threshold") && Catch::Contains("finite"));

  const std::string with = R"({
    "process": [{"name": "a", "bounds": [0, 1]}, {"name": "b", "bounds": [0, 1]}],
    "objectives": [{"name": "f", "goal": "minimize", "threshold": 2.5}, {"name": "g", "threshold": -1}]})";
  const DesignSpace s = DesignSpace::from_json_text(with);
  CHECK(s.objectives()[0].threshold == 2.5);
  CHECK(DesignSpace::from_json_text(s.to_json_text()).objectives()[1].threshold == -1.0);  // round trip

  Campaign c = Campaign::in_memory(with, {}, 3);
  std::vector<ResultRow> rows;
  for (double v : {0.2, 0.6}) {
    ResultRow r;
    r.point = Eigen::Vector2d(v, v);
    r.outputs = Eigen::Vector2d(v, 2 * v);
    rows.push_back(r);
  }
  c.add_results(rows, "history");
  const ReferencePoint rp = c.reference_point();
  REQUIRE(rp.value.size() == 2);
  CHECK(rp.value[0] == -2.5);  // maximization orientation
  CHECK(rp.value[1] == -1.0);
  CHECK(rp.summary() == "threshold");
  const CampaignStatus st = c.status();
  CHECK(st.ref_point[0] == 2.5);  // original units
  CHECK(st.ref_point[1] == -1.0);
  CHECK(st.ref_point_source == "threshold");
  CHECK_THAT(st.to_text(), Catch::Contains("reference point (objective thresholds): 2.5 -1"));
}

TEST_CASE("the default reference point comes from the Pareto front, not from every observation", "[campaign][propose_paths]") {
  // Maximized values: the front is (1, 3), (2, 2), (3, 1); (-10, -10) is dominated and ignored.
  Eigen::MatrixXd Y(4, 2);
  Y << 1, 3, 2, 2, 3, 1, -10, -10;
  const Eigen::VectorXd ref = front_reference_point(Y);
  CHECK(ref[0] == Approx(1 - 0.1 * 2));
  CHECK(ref[1] == Approx(1 - 0.1 * 2));
  // One front point: 10 % of |nadir| (or 0.1 at 0).
  Eigen::MatrixXd one(2, 2);
  one << 4, 0, 1, -1;
  const Eigen::VectorXd r1 = front_reference_point(one);
  CHECK(r1[0] == Approx(3.6));
  CHECK(r1[1] == Approx(-0.1));
  Eigen::MatrixXd none(1, 2);
  none << 1, std::nan("");
  CHECK_THROWS_AS(front_reference_point(none), InvalidArgument);

  // The campaign: minimize f, maximize g; thresholds stated for g only.
  const std::string mixed = R"({
    "process": [{"name": "a", "bounds": [0, 1]}],
    "objectives": [{"name": "f", "goal": "minimize"}, {"name": "g", "threshold": 0}]})";
  Campaign c = Campaign::in_memory(mixed, {}, 3);
  std::vector<ResultRow> rows;
  const double f[] = {1, 2, 3, 9}, g[] = {1, 2, 3, 0};  // (f, g) = (9, 0) is dominated
  for (int i = 0; i < 4; ++i) {
    ResultRow r;
    r.point = Eigen::VectorXd::Constant(1, 0.1 * (i + 1));
    r.outputs = Eigen::Vector2d(f[i], g[i]);
    rows.push_back(r);
  }
  c.add_results(rows, "history");
  const ReferencePoint rp = c.reference_point();
  CHECK(rp.source == std::vector<std::string>{"front", "threshold"});
  CHECK(rp.summary() == "mixed");
  // Front of f (maximized: -1, -2, -3 with g 1, 2, 3): every row is on it; nadir -3, range 2.
  CHECK(rp.value[0] == Approx(-3.2));
  CHECK(rp.value[1] == 0.0);
  CHECK(c.status().ref_point[0] == Approx(3.2));
}

TEST_CASE("propose --max-distance keeps every proposal inside the trust region", "[campaign][propose_paths]") {
  // Six measurements in the corner [0.05, 0.2]^2 of the unit square.
  auto measured = [] {
    Campaign c = Campaign::in_memory(kSpace, {}, 4);
    std::vector<ResultRow> rows;
    const double xs[] = {0.05, 0.2, 0.12, 0.05, 0.2, 0.12};
    const double ys[] = {0.05, 0.05, 0.1, 0.2, 0.2, 0.15};
    for (int i = 0; i < 6; ++i) {
      ResultRow r;
      r.point = Eigen::Vector2d(xs[i], ys[i]);
      r.outputs = lab(r.point);
      rows.push_back(r);
    }
    c.add_results(rows);
    return c;
  };
  Eigen::MatrixXd obs(6, 2);
  Campaign probe = measured();
  for (int i = 0; i < 6; ++i) obs.row(i) = probe.measurements()[static_cast<std::size_t>(i)].point.transpose();
  ApplicabilityDomain domain;
  domain.fit(obs);  // point features of continuous parameters are the coordinates; the score is scale-free

  CampaignProposeOptions po;
  po.q = 3;
  po.raw_samples = 128;
  po.model_options = R"({"restarts": 1})";
  Campaign free_run = measured();
  double farthest = 0;
  for (const auto& p : free_run.propose(po)) farthest = std::max(farthest, domain.score(p.point.transpose())[0]);
  CHECK(farthest > 1.5);  // unconstrained, the acquisition explores well beyond the measured corner

  po.max_distance = 1.5;
  Campaign trusted = measured();
  const auto props = trusted.propose(po);
  REQUIRE(props.size() == 3);
  for (const auto& p : props) CHECK(domain.score(p.point.transpose())[0] <= 1.5);

  po.max_distance = 0.0;  // only the measured points themselves, which are never proposed again
  Campaign none = measured();
  CHECK_THROWS_WITH(none.propose(po), Catch::Contains("within the trust region"));
  po.max_distance = -1;
  CHECK_THROWS_WITH(measured().propose(po), Catch::Contains("--max-distance must be >= 0"));
}
