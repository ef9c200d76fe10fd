// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/models/model.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/grid.hpp"
#include "matopt/optimize/screen.hpp"

using namespace matopt;

namespace {

const char* kSpace = R"({
  "composition": {"elements": ["Fe", "Ni", "Co", "Cr"], "granularity": 0.05, "max_components": 3},
  "process": [{"name": "T", "bounds": [300, 900]}],
  "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.6}],
  "objectives": [{"name": "y"}]
})";

// Every 9th grid point, measured as y = 2 Fe - 4 (Ni - 0.3)^2 + T / 1000.
Dataset training_rows(const DesignSpace& s, const DesignGrid& g) {
  Eigen::MatrixXd P(0, s.dimension());
  Eigen::VectorXd x;
  for (std::uint64_t i = 0; i < g.index_end(); i += 9) {
    g.unrank(i, x);
    P.conservativeResize(P.rows() + 1, Eigen::NoChange);
    P.row(P.rows() - 1) = x.transpose();
  }
  Dataset d = s.to_dataset(P);
  Column y{"y", ColumnType::Continuous, {}, {}};
  for (Eigen::Index r = 0; r < P.rows(); ++r) y.values.push_back(2 * P(r, 0) - 4 * std::pow(P(r, 1) - 0.3, 2) + P(r, 4) / 1000);
  d.targets = {y};
  return d;
}

Model train(const Dataset& d, const std::string& model) {
  ModelOptions o;
  o.model = model;
  o.features.features = "magpie";
  o.surrogate_options = model == "gp" ? R"({"restarts": 1})" : R"({"trees": 40})";
  o.seed = 3;
  return Model::train(d, {"y"}, o);
}

void require_same(const ScreenResult& a, const ScreenResult& b) {
  REQUIRE(a.top.size() == b.top.size());
  CHECK(a.screened == b.screened);
  CHECK(a.feasible == b.feasible);
  for (std::size_t i = 0; i < a.top.size(); ++i) {
    CHECK(a.top[i].index == b.top[i].index);
    CHECK(a.top[i].score == b.top[i].score);  // bit-identical, not approximately equal
    CHECK(a.top[i].sd == b.top[i].sd);
  }
}

}  // namespace

TEST_CASE("screen's top K does not depend on block size, thread count or index split", "[screen]") {
  const DesignSpace s = DesignSpace::from_json_text(kSpace);
  const DesignGrid g(s, ProcessGrid{{{300, 500, 700, 900}}});
  const Dataset d = training_rows(s, g);
  for (const char* kind : {"gp", "forest"}) {
    SECTION(kind) {
      const Model m = train(d, kind);
      ScreenOptions o;
      o.top_k = 25;
      o.score = ScreenScore::parse("ucb:2", true);
      o.threads = 1;
      o.block = 4096;
      o.tile = 64;
      const ScreenResult base = screen(m, g, o);
      REQUIRE(base.top.size() == 25);
      CHECK(base.screened == g.index_end());
      o.threads = 3;
      o.block = 1;
      require_same(base, screen(m, g, o));
      o.block = 7;
      require_same(base, screen(m, g, o));
      o.block = 200;
      require_same(base, screen(m, g, o));
      // Two parts split at a tile boundary, screened apart (as two MPI ranks would) and merged.
      ScreenOptions lo = o, hi = o;
      lo.end = hi.begin = 5 * 64;
      require_same(base, merge_screen_results({screen(m, g, hi), screen(m, g, lo)}, 25));

      // The winner is the argmax of the same score over every feasible point predicted at once.
      Eigen::MatrixXd P(0, s.dimension());
      std::vector<std::uint64_t> idx;
      Eigen::VectorXd x;
      for (std::uint64_t i = 0; i < g.index_end(); ++i) {
        g.unrank(i, x);
        if (!s.is_feasible(x)) continue;
        P.conservativeResize(P.rows() + 1, Eigen::NoChange);
        P.row(P.rows() - 1) = x.transpose();
        idx.push_back(i);
      }
      CHECK(base.feasible == idx.size());
      CHECK(base.feasible < base.screened);  // the linear constraint removed some
      const auto pred = m.predict(s.to_dataset(P))[0];
      std::vector<ScreenHit> all;
      for (Eigen::Index r = 0; r < P.rows(); ++r) {
        const double sd = std::sqrt(pred.variance[r]);
        all.push_back({idx[static_cast<std::size_t>(r)], o.score(pred.mean[r], sd), pred.mean[r], sd});
      }
      std::sort(all.begin(), all.end(), ranks_before);
      for (std::size_t i = 0; i < base.top.size(); ++i) {
        CHECK(base.top[i].index == all[i].index);
        CHECK(base.top[i].score == Approx(all[i].score).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("screen scores by hand", "[screen]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(ScreenScore::parse("mean", true)(1.5, 9.0) == 1.5);
  CHECK(ScreenScore::parse("mean", false)(1.5, 9.0) == -1.5);
  CHECK(ScreenScore::parse("ucb:4", true)(1.0, 0.5) == 2.0);   // 1 + sqrt(4) 0.5
  CHECK(ScreenScore::parse("ucb:4", false)(1.0, 0.5) == 0.0);  // -(1 - 2 * 0.5)
  // EI at the incumbent with sd 1 is phi(0) = 0.398942...; minimizing flips both signs.
  CHECK(std::exp(ScreenScore::parse("ei:2", true)(2.0, 1.0)) == Approx(0.3989422804014327));
  CHECK(std::exp(ScreenScore::parse("ei:-2", false)(-2.0, 1.0)) == Approx(0.3989422804014327));
  CHECK(std::exp(ScreenScore::parse("pof:0", true)(1.0, 1.0)) == Approx(0.8413447460685429));
  CHECK(ScreenScore::parse("mean", true)(std::nan(""), 1.0) == -inf);
  CHECK(ScreenScore::parse("ei:1", true).column() == "log_ei");
  for (const char* bad : {"ucb", "ucb:", "ucb:-1", "ei:x", "top", "mean:1", "pof:1e999"})
    CHECK_THROWS_WITH(ScreenScore::parse(bad, true), Catch::Contains("expected mean, ucb:BETA, ei:BEST or pof:THRESHOLD"));
  // Ties go to the smaller index.
  CHECK(ranks_before({3, 1.0, 0, 0}, {5, 1.0, 0, 0}));
  CHECK_FALSE(ranks_before({5, 1.0, 0, 0}, {3, 1.0, 0, 0}));
  CHECK(ranks_before({9, 1.0, 0, 0}, {1, -inf, 0, 0}));
}

TEST_CASE("count_feasible counts what the constraints leave", "[screen]") {
  const DesignSpace s = DesignSpace::from_json_text(kSpace);
  const DesignGrid g(s, ProcessGrid{{{300}}});
  std::uint64_t brute = 0;
  Eigen::VectorXd x;
  for (std::uint64_t i = 0; i < g.index_end(); ++i) {
    g.unrank(i, x);
    brute += s.is_feasible(x);
  }
  CHECK(count_feasible(g, 0, 0, 1) == brute);
  CHECK(count_feasible(g, 0, 0, 3) == brute);
  CHECK(count_feasible(g, 0, 10, 1) + count_feasible(g, 10, 0, 1) == brute);
}

TEST_CASE("screen refuses a model whose inputs the space does not have", "[screen]") {
  const DesignSpace s = DesignSpace::from_json_text(kSpace);
  const DesignGrid g(s, ProcessGrid{{{300, 900}}});
  Dataset d = training_rows(s, g);
  d.process[0].name = "pressure";
  const Model m = train(d, "forest");
  CHECK_THROWS_WITH(screen(m, g, ScreenOptions{}), Catch::Contains("process column 'pressure'"));
}
