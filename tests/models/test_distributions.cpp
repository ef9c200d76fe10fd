// SPDX-License-Identifier: MIT
// Predictive distributions: values derived by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <utility>

#include "matopt/core/error.hpp"
#include "matopt/models/distribution.hpp"

using namespace matopt;
using Catch::Matchers::Contains;

// The exception type and its message (Catch2 v2 matches messages with THROWS_WITH only).
#define REQUIRE_THROWS_MSG(expr, Type, matcher) \
  do {                                          \
    REQUIRE_THROWS_AS(expr, Type);              \
    REQUIRE_THROWS_WITH(expr, matcher);         \
  } while (0)

TEST_CASE("hurdle mixture: median and standard deviation derived by hand", "[distribution]") {
  using matopt::distribution::hurdle_median_and_std;
  const double m = std::log(3.0), s = 0.5;  // log(1 + y) ~ N(log 3, 0.25) for y > 0: median of y is 2
  // y = 0 at least as likely as not: the median is 0
  CHECK(hurdle_median_and_std(0.3, m, s).first == 0.0);
  CHECK(hurdle_median_and_std(0.5, m, s).first == 0.0);
  // p = 1: the log-normal part alone, median expm1(m) = 2;
  // E[y] = 3·e^(1/8) - 1, E[y²] = 9·e^(1/2) - 6·e^(1/8) + 1, sd = 1.8117016
  CHECK(hurdle_median_and_std(1.0, m, s).first == Approx(2.0).epsilon(1e-12));
  CHECK(hurdle_median_and_std(1.0, m, s).second == Approx(1.8117016).epsilon(1e-6));
  // p = 0.75: Φ((log(1 + t) - m)/s) = 0.25/0.75 = 1/3, Φ⁻¹(1/3) = -0.4307273, t = 3·e^(-0.2153637) - 1
  // = 1.4187446; mean 0.75·E[y], E[y²] as above: sd = 1.8818071
  const auto [median, sd] = hurdle_median_and_std(0.75, m, s);
  CHECK(median == Approx(1.4187446).epsilon(1e-6));
  CHECK(sd == Approx(1.8818071).epsilon(1e-6));
  // all mass at 0
  CHECK(hurdle_median_and_std(0.0, m, s).second == 0.0);
  // A deep ensemble extrapolating far outside its training rows predicted log(1 + y) ~ N(1.4e4, 2.3e4²)
  // for metals: with P(y > 0) = 0 that is the point mass alone; with a little mass left the σ is +inf,
  // never NaN (the runner then caps it so that σ² stays finite).
  CHECK(hurdle_median_and_std(0.0, 1.4e4, 2.3e4) == std::pair<double, double>(0.0, 0.0));
  const auto far = hurdle_median_and_std(2.6e-4, 1.4e4, 2.3e4);
  CHECK(far.first == 0.0);
  CHECK(std::isinf(far.second));
  // e^(2m + s²) underflows while e^(s²) overflows (m = −1000, s = 30): X ≈ −1 with a negligible
  // variance, so σ ≈ √(p(1 − p)) = ½, not 0·∞.
  CHECK(hurdle_median_and_std(0.5, -1000.0, 30.0).second == Approx(0.5).epsilon(1e-12));
  // p = 1 with an overflowing E[X]: +inf, not (1 − p)·∞.
  CHECK(std::isinf(hurdle_median_and_std(1.0, 800.0, 1.0).second));
}

TEST_CASE("pooled Gaussian predictions are moment-matched, derived by hand", "[distribution]") {
  using matopt::distribution::pool_gaussians;
  // Row 0: N(1, 1) and N(3, 1): mean 2, variance 1 + ((1 − 2)² + (3 − 2)²)/2 = 2.
  // Row 1: N(0, 4) and N(0, 0): mean 0, variance (4 + 0)/2 = 2.
  const Eigen::VectorXd l1 = Eigen::Vector2d(1.0, 0.0), l2 = Eigen::Vector2d(3.0, 0.0);
  const Eigen::VectorXd s1 = Eigen::Vector2d(1.0, 2.0), s2 = Eigen::Vector2d(1.0, 0.0);
  Eigen::VectorXd loc, scale;
  pool_gaussians({&l1, &l2}, {&s1, &s2}, loc, scale);
  REQUIRE(loc[0] == Approx(2.0));
  REQUIRE(loc[1] == 0.0);
  REQUIRE(scale[0] == Approx(std::sqrt(2.0)));
  REQUIRE(scale[1] == Approx(std::sqrt(2.0)));
  // One member is itself.
  pool_gaussians({&l1}, {&s1}, loc, scale);
  REQUIRE(loc == l1);
  REQUIRE(scale == s1);
  const Eigen::VectorXd short_loc = Eigen::VectorXd::Zero(1);
  REQUIRE_THROWS_MSG(pool_gaussians({&l1, &short_loc}, {&s1, &s2}, loc, scale), InvalidArgument,
                     Contains("member 1 predicts 1 rows, not 2"));
  REQUIRE_THROWS_MSG(pool_gaussians({&l1}, {}, loc, scale), InvalidArgument, Contains("as many scales"));
}
