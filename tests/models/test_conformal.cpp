// SPDX-License-Identifier: MIT
// Conformal intervals: score quantiles derived by hand, and a seeded coverage simulation.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "matopt/core/error.hpp"
#include "matopt/models/conformal.hpp"

using namespace matopt;

TEST_CASE("conformal q is the ceil((n+1)coverage)-th smallest normalized score", "[conformal]") {
  // n = 9, coverage 0.9: ceil(10·0.9) = 9 → the 9th smallest (the largest) score.
  // scores |y − point|/σ with point 0, σ 2: y = 2,4,...,18 → 1..9 (shuffled order below)
  Eigen::VectorXd y(9);
  y << 10, 2, 18, 6, 14, 4, 16, 8, 12;
  const Eigen::VectorXd point = Eigen::VectorXd::Zero(9), sd = Eigen::VectorXd::Constant(9, 2.0);
  const ConformalInterval c = ConformalInterval::fit(y, point, sd, 0.9);
  CHECK(c.fitted);
  CHECK(c.coverage == 0.9);
  CHECK(c.q == 9.0);
  // coverage 0.5: ceil(10·0.5) = 5 → the 5th smallest score, 5
  CHECK(ConformalInterval::fit(y, point, sd, 0.5).q == 5.0);
  // n = 5, coverage 0.9: ceil(6·0.9) = 6 > 5 → +inf
  const ConformalInterval inf5 = ConformalInterval::fit(y.head(5), point.head(5), sd.head(5), 0.9);
  CHECK(inf5.q == std::numeric_limits<double>::infinity());
}

TEST_CASE("conformal apply gives point ∓ q·σ", "[conformal]") {
  ConformalInterval c;
  c.q = 1.5;
  c.fitted = true;
  Eigen::VectorXd point(2), sd(2);
  point << 1.0, -2.0;
  sd << 2.0, 0.5;
  const auto [lo, hi] = c.apply(point, sd);
  // 1 ∓ 3 = (−2, 4); −2 ∓ 0.75 = (−2.75, −1.25)
  CHECK(lo[0] == -2.0);
  CHECK(hi[0] == 4.0);
  CHECK(lo[1] == -2.75);
  CHECK(hi[1] == -1.25);
  CHECK_THROWS_AS(c.apply(point, sd.head(1)), InvalidArgument);
  CHECK_THROWS_AS(ConformalInterval{}.apply(point, sd), InvalidArgument);
}

TEST_CASE("conformal fit rejects bad coverage, sizes and σ", "[conformal]") {
  const Eigen::VectorXd y = Eigen::VectorXd::Ones(3), point = Eigen::VectorXd::Zero(3), sd = Eigen::VectorXd::Ones(3);
  CHECK_THROWS_AS(ConformalInterval::fit(y, point, sd, 0.0), InvalidArgument);
  CHECK_THROWS_AS(ConformalInterval::fit(y, point, sd, 1.0), InvalidArgument);
  CHECK_THROWS_AS(ConformalInterval::fit(y, point, sd, -0.1), InvalidArgument);
  CHECK_THROWS_AS(ConformalInterval::fit(y, point.head(2), sd, 0.9), InvalidArgument);
  CHECK_THROWS_AS(ConformalInterval::fit(y, point, sd.head(2), 0.9), InvalidArgument);
  CHECK_THROWS_AS(ConformalInterval::fit(Eigen::VectorXd(0), Eigen::VectorXd(0), Eigen::VectorXd(0), 0.9),
                  InvalidArgument);
  Eigen::VectorXd bad = sd;
  bad[1] = 0.0;
  CHECK_THROWS_AS(ConformalInterval::fit(y, point, bad, 0.9), InvalidArgument);
  bad[1] = -1.0;
  CHECK_THROWS_AS(ConformalInterval::fit(y, point, bad, 0.9), InvalidArgument);
}

TEST_CASE("conformal coverage on a seeded simulation is close to nominal", "[conformal]") {
  // y = x + σ(x)·ε, ε ~ N(0,1), σ(x) = 0.5 + x, point = x: normalized scores are |ε|, exchangeable.
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> ux(0.0, 2.0);
  std::normal_distribution<double> eps(0.0, 1.0);
  auto draw = [&](int n, Eigen::VectorXd& y, Eigen::VectorXd& point, Eigen::VectorXd& sd) {
    y.resize(n), point.resize(n), sd.resize(n);
    for (int i = 0; i < n; ++i) {
      point[i] = ux(rng);
      sd[i] = 0.5 + point[i];
      y[i] = point[i] + sd[i] * eps(rng);
    }
  };
  Eigen::VectorXd y, point, sd;
  draw(199, y, point, sd);
  const ConformalInterval c = ConformalInterval::fit(y, point, sd, 0.9);  // 180th of 199 scores
  REQUIRE(std::isfinite(c.q));
  Eigen::VectorXd yt, pt, st;
  draw(20000, yt, pt, st);
  const auto [lo, hi] = c.apply(pt, st);
  int inside = 0;
  for (int i = 0; i < 20000; ++i) inside += (yt[i] >= lo[i] && yt[i] <= hi[i]) ? 1 : 0;
  CHECK(inside / 20000.0 == Approx(0.9).margin(0.03));
}
