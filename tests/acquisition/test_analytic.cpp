// SPDX-License-Identifier: MIT
// Reference values were computed with 40-digit arithmetic (mpmath) from the definitions
// h(z) = phi(z) + z Phi(z); log h(-40) was also checked against the asymptotic series
// h(-x) = phi(x) (x^-2 - 3 x^-4 + 15 x^-6 - ...), which converges quickly at x = 40.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "matopt/acquisition/analytic.hpp"

using namespace matopt;
using Catch::Matchers::WithinRel;

TEST_CASE("log_h matches high-precision values from z = 30 down to z = -1000", "[analytic]") {
  const struct {
    double z, log_h;
  } ref[] = {{30.0, 3.4011973816621553754},    {5.0, 1.6094379231264313851},   {1.0, 0.080026218849306940029},
             {0.0, -0.91893853320467274178},   {-1.0, -2.4851210257126413368}, {-2.5, -6.2125416454435128635},
             {-5.0, -16.744301162660990143},   {-10.0, -55.553122036122355927}, {-40.0, -808.29856835661996024},
             {-1000.0, -500014.73445209115845}};
  for (const auto& r : ref) {
    INFO("z = " << r.z);
    CHECK_THAT(log_h(r.z), WithinRel(r.log_h, 1e-14));
  }
  CHECK(log_h(-std::numeric_limits<double>::infinity()) == -std::numeric_limits<double>::infinity());
}

TEST_CASE("log_normal_cdf is accurate in both tails", "[analytic]") {
  CHECK_THAT(log_normal_cdf(1.0), WithinRel(-0.17275377902344988953, 1e-14));
  CHECK_THAT(log_normal_cdf(6.0), WithinRel(-9.8658764552437573169e-10, 1e-12));
  CHECK_THAT(log_normal_cdf(-10.0), WithinRel(-53.231285150512470578, 1e-14));
  CHECK_THAT(log_normal_cdf(-40.0), WithinRel(-804.60844201375378817, 1e-14));
  CHECK_THAT(log_normal_cdf(-1000.0), WithinRel(-500007.82669481218431, 1e-14));
  CHECK_THAT(normal_cdf(1.0), WithinRel(0.8413447460685429, 1e-15));
}

TEST_CASE("expected improvement closed form and the far tail in log space", "[analytic]") {
  // At the incumbent EI = sd * phi(0).
  CHECK_THAT(expected_improvement(1.0, 1.0, 1.0), WithinRel(0.39894228040143268, 1e-15));
  // z = 2: 0.1 * (phi(2) + 2 Phi(2)); z = -0.5: 2 * (phi(0.5) - 0.5 Phi(-0.5)).
  CHECK_THAT(expected_improvement(1.2, 0.1, 1.0), WithinRel(0.20084907026168297, 1e-14));
  CHECK_THAT(expected_improvement(0.0, 2.0, 1.0), WithinRel(0.39559311480261206, 1e-14));
  CHECK(expected_improvement(1.5, 0.0, 1.0) == 0.5);
  CHECK(expected_improvement(0.5, 0.0, 1.0) == 0.0);
  // 40 sd below the incumbent EI underflows, log EI does not: log(0.5) + log h(-40).
  CHECK(expected_improvement(-20.0, 0.5, 0.0) == 0.0);
  CHECK_THAT(log_expected_improvement(-20.0, 0.5, 0.0), WithinRel(std::log(0.5) - 808.29856835661996024, 1e-14));
  CHECK_THAT(log_expected_improvement(1.2, 0.1, 1.0), WithinRel(std::log(0.20084907026168297), 1e-14));
  CHECK(log_expected_improvement(0.5, 0.0, 1.0) == -std::numeric_limits<double>::infinity());
}

TEST_CASE("probability of improvement, UCB and interval probabilities", "[analytic]") {
  CHECK_THAT(probability_of_improvement(2.0, 1.0, 1.0), WithinRel(0.8413447460685429, 1e-15));
  CHECK_THAT(log_probability_of_improvement(-39.0, 1.0, 1.0), WithinRel(-804.60844201375378817, 1e-14));
  CHECK(upper_confidence_bound(1.0, 0.5, 4.0) == 2.0);
  CHECK_THAT(log_probability_in_interval(0.0, 1.0, -1.0, 1.0), WithinRel(-0.38171514630212607227, 1e-14));
  CHECK_THAT(log_probability_in_interval(0.0, 1.0, 1.0, 1.5), WithinRel(-2.3876196688239346461, 1e-14));
  // Both bounds 40 sd out: the difference of two tiny probabilities stays accurate.
  CHECK_THAT(log_probability_in_interval(0.0, 1.0, 40.0, 40.01), WithinRel(-805.71746594536838771, 1e-12));
  CHECK_THAT(log_probability_in_interval(3.0, 2.0, -std::numeric_limits<double>::infinity(), 3.0),
             WithinRel(std::log(0.5), 1e-15));
  CHECK(log_probability_in_interval(0.0, 0.0, 1.0, 2.0) == -std::numeric_limits<double>::infinity());
  CHECK_THAT(log1mexp(-1e-20), WithinRel(std::log(1e-20), 1e-12));
}
