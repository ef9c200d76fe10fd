// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <set>
#include <string>

#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/sampling.hpp"

using namespace matopt;

namespace {

const char* kSpace = R"({
  "composition": {
    "elements": ["Fe", "Ni", "Co", "Cr", "Al", "Ti"],
    "bounds": {"Fe": [0, 0.7], "Al": [0, 0.1], "Ti": [0.05, 0.3]},
    "max_components": 4,
    "granularity": 0.005,
    "required": ["Cr"]
  },
  "process": [
    {"name": "temperature", "bounds": [600, 1200]},
    {"name": "time", "bounds": [0.1, 100], "log": true},
    {"name": "passes", "type": "integer", "bounds": [1, 5]},
    {"name": "atmosphere", "type": "categorical", "categories": ["Ar", "N2", "air"]}
  ],
  "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.4}, {"terms": {"Fe": 1, "Cr": -1}, ">=": 0}],
  "objectives": [{"name": "y"}]
})";

}  // namespace

TEST_CASE("Sobol points stratify every coordinate", "[sampling][sobol]") {
  SobolSequence plain(5, 0);
  Eigen::MatrixXd P = plain.draw(64);
  CHECK(P.row(0).isZero());
  CHECK(P(1, 0) == 0.5);
  CHECK(P(1, 1) == 0.5);
  // Each coordinate of the first 2^k points takes every dyadic interval of width 2^-k once (also
  // after the digital shift).
  for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{42}}) {
    SobolSequence s(SobolSequence::kMaxDimension, seed);
    Eigen::MatrixXd Q = s.draw(64);
    for (int d = 0; d < SobolSequence::kMaxDimension; ++d) {
      std::set<int> cells;
      for (int r = 0; r < 64; ++r) cells.insert(static_cast<int>(Q(r, d) * 64));
      CHECK(cells.size() == 64);
    }
  }
  CHECK_THROWS_AS(SobolSequence(33, 0), InvalidArgument);
}

TEST_CASE("bound repair and largest-remainder rounding", "[sampling]") {
  Eigen::VectorXd x(3), lo = Eigen::VectorXd::Zero(3), hi(3);
  x << 0.7, 0.2, 0.1;
  hi << 0.5, 1.0, 1.0;
  REQUIRE(repair_fractions(x, lo, hi));
  // Fe clipped to 0.5, the other 0.5 shared 2:1 as before.
  CHECK(x[0] == Approx(0.5).margin(1e-12));
  CHECK(x[1] == Approx(1.0 / 3.0).margin(1e-12));
  CHECK(x[2] == Approx(1.0 / 6.0).margin(1e-12));
  CHECK(std::abs(x.sum() - 1.0) < 1e-15);

  x << 0.9, 0.05, 0.05;
  lo << 0.0, 0.2, 0.0;
  hi << 1.0, 1.0, 1.0;
  REQUIRE(repair_fractions(x, lo, hi));
  CHECK(x[1] == Approx(0.2).margin(1e-12));
  CHECK(x[0] / x[2] == Approx(18.0));

  Eigen::VectorXd bad(2);
  bad << 0.5, 0.5;
  CHECK_FALSE(repair_fractions(bad, Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(0.3, 0.3)));

  Eigen::VectorXd y(3);
  y << 0.334, 0.333, 0.333;  // floors 33+33+33 = 99: the largest remainder (0.4) gets the unit
  REQUIRE(round_to_grid(y, 100, {0, 0, 0}, {100, 100, 100}));
  CHECK(y[0] == 0.34);
  CHECK(y[1] == 0.33);
  CHECK(y[2] == 0.33);
  y << 0.336, 0.336, 0.328;  // 33+33+32 = 98 -> +1 to 0.8 (index 2), +1 to 0.6 (index 0)
  REQUIRE(round_to_grid(y, 100, {0, 0, 0}, {100, 100, 100}));
  CHECK(y[0] == 0.34);
  CHECK(y[1] == 0.33);
  CHECK(y[2] == 0.33);
  y << 0.336, 0.336, 0.328;  // index 2 capped at 32 units: the units go to 0 and 1
  REQUIRE(round_to_grid(y, 100, {0, 0, 0}, {100, 100, 32}));
  CHECK(y[0] == 0.34);
  CHECK(y[1] == 0.34);
  CHECK(y[2] == 0.32);
  CHECK_FALSE(round_to_grid(y, 100, {0, 0, 0}, {30, 30, 30}));
}

TEST_CASE("sampled points are always feasible", "[sampling]") {
  DesignSpace s = DesignSpace::from_json_text(kSpace);
  for (auto method : {SampleMethod::Sobol, SampleMethod::Random}) {
    SampleOptions o;
    o.method = method;
    Eigen::MatrixXd P = sample_design_points(s, 3000, 7, o);
    REQUIRE(P.rows() == 3000);
    std::set<int> cardinalities, categories;
    double min_time = 1e9, max_time = 0;
    for (Eigen::Index r = 0; r < P.rows(); ++r) {
      Eigen::VectorXd p = P.row(r).transpose();
      auto v = s.validate(p);
      INFO(describe(v));
      REQUIRE(v.empty());
      cardinalities.insert(static_cast<int>((p.head(6).array() > 0).count()));
      categories.insert(static_cast<int>(p[9]));
      min_time = std::min(min_time, p[7]);
      max_time = std::max(max_time, p[7]);
    }
    // Ti and Cr are required and Fe >= Cr forces Fe in, so 3 and 4 components occur; every category
    // is used; the log-scaled parameter covers both ends of its three decades.
    CHECK(cardinalities == std::set<int>{3, 4});
    CHECK(categories == std::set<int>{0, 1, 2});
    CHECK(min_time < 0.2);
    CHECK(max_time > 50);
  }
}

TEST_CASE("sampling is deterministic in the seed", "[sampling]") {
  DesignSpace s = DesignSpace::from_json_text(kSpace);
  Eigen::MatrixXd a = sample_design_points(s, 50, 11), b = sample_design_points(s, 50, 11), c = sample_design_points(s, 50, 12);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("sampling gives up with an explanation when constraints leave almost nothing", "[sampling][infeasible]") {
  // The bounds allow Ni + Co up to 1, but the constraints demand Ni + Co <= 0.5 and >= 0.4999999:
  // feasible, yet essentially never hit by sampling.
  DesignSpace s = DesignSpace::from_json_text(R"({
    "composition": {"elements": ["Fe", "Ni", "Co"]},
    "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.5}, {"terms": {"Ni": 1, "Co": 1}, ">=": 0.4999999}],
    "objectives": [{"name": "y"}]})");
  SampleOptions o;
  o.attempts_per_point = 50;
  CHECK_THROWS_WITH(sample_design_points(s, 10, 1, o),
                    Catch::Contains("sampling found only") && Catch::Contains("Ni + Co >= 0.4999999: rejected"));
}
