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

namespace {
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}
// log(1 + y) ~ N(m, s²) with the mass below y = 0 at 0: E[y] = E[(e^Z − 1)·1{Z > 0}]
//   = e^(m + s²/2)·Φ((m + s²)/s) − Φ(m/s).
double log1p_mean(double m, double s) { return std::exp(m + 0.5 * s * s) * Phi((m + s * s) / s) - Phi(m / s); }
PredictiveDistribution log1p_normal(double m, double s) {
  PredictiveDistribution d = PredictiveDistribution::gaussian(vec({m}), vec({s}));
  d.kind = DistributionKind::Log1pNormal;
  return d;
}
}  // namespace

TEST_CASE("Gaussian distribution: cdf, quantile, interval, moments", "[distribution]") {
  const PredictiveDistribution d = PredictiveDistribution::gaussian(vec({2.0}), vec({3.0}));  // N(2, 9)
  CHECK(d.kind == DistributionKind::Gaussian);
  CHECK(d.size() == 1);
  CHECK(d.continuous());
  CHECK(d.cdf(0, 2.0) == Approx(0.5));
  CHECK(d.cdf(0, 5.0) == Approx(0.8413447460685429));  // Φ((5 − 2)/3) = Φ(1)
  CHECK(d.cdf_below(0, 5.0) == Approx(0.8413447460685429));
  CHECK(d.quantile(0, 0.8413447460685429) == Approx(5.0));
  // Φ⁻¹(0.975) = 1.959963984540054: 2 ± 3·1.959963984540054
  CHECK(d.quantile(0, 0.975) == Approx(7.879891953620162));
  const auto [lo, hi] = d.interval(0, 0.95);
  CHECK(lo == Approx(-3.879891953620162));
  CHECK(hi == Approx(7.879891953620162));
  CHECK(d.median(0) == Approx(2.0));
  CHECK(d.mean(0) == Approx(2.0));
  CHECK(d.std(0) == Approx(3.0));
  CHECK(d.quantiles(0.5)[0] == Approx(2.0));
  CHECK_THROWS_AS(d.interval(0, 1.0), InvalidArgument);
  CHECK_THROWS_AS(d.label(0), InvalidArgument);
}

TEST_CASE("log1p-normal distribution: quantiles, the atom at 0, exact mean", "[distribution]") {
  const double m = 0.5, s = 1.0;
  const PredictiveDistribution d = log1p_normal(m, s);
  // quantile v = expm1(m + s·Φ⁻¹(v)); Φ⁻¹(0.975) = 1.959963984540054
  CHECK(d.quantile(0, 0.975) == Approx(std::expm1(0.5 + 1.959963984540054)));
  CHECK(d.median(0) == Approx(std::expm1(0.5)));
  // the atom at 0 holds P(Z <= 0) = Φ(−m/s) = Φ(−0.5) = 0.3085375387259869
  CHECK(d.cdf_below(0, 0.0) == 0.0);
  CHECK(d.cdf(0, 0.0) == Approx(0.3085375387259869));
  CHECK(d.cdf(0, -1.0) == 0.0);
  CHECK(d.quantile(0, 0.2) == 0.0);  // 0.2 < Φ(−0.5): inside the atom
  // PIT at the atom: [F(0−), F(0)] = [0, Φ(−0.5)]; above it lo == hi = Φ((log 2 − 0.5)/1)
  const auto [lo, hi] = d.pit(vec({0.0}));
  CHECK(lo[0] == 0.0);
  CHECK(hi[0] == Approx(0.3085375387259869));
  const auto [lo1, hi1] = d.pit(vec({1.0}));
  CHECK(lo1[0] == Approx(Phi(std::log(2.0) - 0.5)));
  CHECK(hi1[0] == Approx(lo1[0]));
  CHECK_THROWS_AS(d.pit(vec({0.0, 1.0})), InvalidArgument);
  // E[y] = e^(0.5 + 0.5)·Φ(1.5) − Φ(0.5) = 2.718281828·0.9331927987 − 0.6914624613 = 2.5366811 − 0.6914625 = 1.8452186
  CHECK(log1p_mean(m, s) == Approx(1.8452186).epsilon(1e-6));
  CHECK(d.mean(0) == Approx(log1p_mean(m, s)).epsilon(1e-9));
  CHECK(d.means()[0] == Approx(log1p_mean(m, s)).epsilon(1e-9));
}

TEST_CASE("hurdle distribution: quantiles and mean", "[distribution]") {
  const double p = 0.6, m = std::log(3.0), s = 0.5;
  PredictiveDistribution d = log1p_normal(m, s);
  d.kind = DistributionKind::Hurdle;
  d.p_positive = vec({p});
  // v <= 1 − p = 0.4: the point mass at 0
  CHECK(d.quantile(0, 0.1) == 0.0);
  CHECK(d.quantile(0, 0.4) == 0.0);
  // v = 0.7: (0.7 − 0.4)/0.6 = 0.5 → expm1(log 3) = 2
  CHECK(d.quantile(0, 0.7) == Approx(2.0));
  CHECK(d.cdf(0, 0.0) == Approx(0.4 + 0.6 * Phi(-m / s)));
  CHECK(d.cdf_below(0, 0.0) == 0.0);
  // mean p·E[y | positive part]
  CHECK(d.mean(0) == Approx(p * log1p_mean(m, s)).epsilon(1e-9));
  CHECK(d.means()[0] == Approx(p * log1p_mean(m, s)).epsilon(1e-9));
}

TEST_CASE("Bernoulli distribution: cdf, quantile, label, moments", "[distribution]") {
  const PredictiveDistribution d = PredictiveDistribution::bernoulli(vec({0.3, 0.7}), 0.6);
  CHECK(!d.continuous());
  CHECK(d.size() == 2);
  CHECK(d.cdf(0, -0.1) == 0.0);
  CHECK(d.cdf(0, 0.0) == Approx(0.7));
  CHECK(d.cdf(0, 1.0) == 1.0);
  CHECK(d.cdf_below(0, 0.0) == 0.0);
  CHECK(d.cdf_below(0, 1.0) == Approx(0.7));
  CHECK(d.quantile(0, 0.7) == 0.0);
  CHECK(d.quantile(0, 0.71) == 1.0);
  CHECK(d.label(0) == 0.0);  // 0.3 < 0.6
  CHECK(d.label(1) == 1.0);  // 0.7 >= 0.6
  CHECK(d.mean(1) == Approx(0.7));
  CHECK(d.std(1) == Approx(std::sqrt(0.21)));
  const auto [lo, hi] = d.pit(vec({0.0, 1.0}));
  CHECK(lo[0] == 0.0);
  CHECK(hi[0] == Approx(0.7));
  CHECK(lo[1] == Approx(0.3));
  CHECK(hi[1] == 1.0);
}

TEST_CASE("PIT recalibration changes quantiles to F^-1(R^-1(v))", "[distribution]") {
  // R through (0, 0), (0.5, 0.25), (1, 1): R⁻¹(v) = 2v for v <= 0.25, else 0.5 + (v − 0.25)·2/3.
  PredictiveDistribution d = PredictiveDistribution::gaussian(vec({0.0}), vec({1.0}));
  d.recalibration = PitCalibration::from_knots({0.0, 0.25, 1.0});
  CHECK(d.quantile(0, 0.1) == Approx(-0.8416212335729143));  // Φ⁻¹(0.2)
  CHECK(d.median(0) == Approx(0.4307272992954576));         // Φ⁻¹(0.5 + 0.25·2/3) = Φ⁻¹(2/3)
  CHECK(d.cdf(0, 0.0) == Approx(0.25));                      // R(Φ(0)) = R(0.5)
  // R(Φ(1)) = 0.25 + (0.8413447460685429 − 0.5)·1.5
  CHECK(d.cdf(0, 1.0) == Approx(0.7620171191028144));
  const auto [lo, hi] = d.pit(vec({0.0}));
  CHECK(lo[0] == Approx(0.25));
  CHECK(hi[0] == Approx(0.25));
  // density R'(Φ(y))·φ(y): ½ for y < 0, 3/2 for y > 0. E[y] = ½·(−φ(0)) + 3/2·φ(0) = φ(0);
  // E[y²] = ½·½ + 3/2·½ = 1, so σ² = 1 − φ(0)² = 1 − 1/(2π).
  CHECK(d.mean(0) == Approx(0.3989422804014327).epsilon(1e-9));
  CHECK(d.std(0) == Approx(std::sqrt(1.0 - 1.0 / (2.0 * M_PI))).epsilon(1e-9));
  Eigen::VectorXd point, sd;
  d.summarize(point, sd);
  CHECK(point[0] == Approx(0.4307272992954576));
  CHECK(sd[0] == Approx(std::sqrt(1.0 - 1.0 / (2.0 * M_PI))).epsilon(1e-9));
}

TEST_CASE("summarize gives the median as point", "[distribution]") {
  const PredictiveDistribution d = log1p_normal(0.5, 1.0);
  Eigen::VectorXd point, sd;
  d.summarize(point, sd);
  CHECK(point[0] == Approx(std::expm1(0.5)));
  CHECK(sd[0] == Approx(std::exp(0.5) * 1.0));  // delta method e^loc·scale
  const PredictiveDistribution g = PredictiveDistribution::gaussian(vec({1.0}), vec({2.0}));
  g.summarize(point, sd);
  CHECK(point[0] == 1.0);
  CHECK(sd[0] == 2.0);
}

TEST_CASE("sampling is seeded and matches the mean", "[distribution]") {
  const PredictiveDistribution d = log1p_normal(0.5, 0.5);
  Rng a(99), b(99);
  CHECK(d.sample(0, a) == d.sample(0, b));
  Rng rng(4242);
  const int n = 20000;
  double sum = 0;
  for (int k = 0; k < n; ++k) sum += d.sample(0, rng);
  const double se = d.std(0) / std::sqrt(static_cast<double>(n));
  CHECK(std::abs(sum / n - d.mean(0)) < 3.0 * se);
}

TEST_CASE("distribution kind names round-trip", "[distribution]") {
  for (DistributionKind k : {DistributionKind::Gaussian, DistributionKind::Log1pNormal, DistributionKind::Hurdle,
                             DistributionKind::Bernoulli})
    CHECK(parse_distribution_kind(to_string(k)) == k);
  CHECK(to_string(DistributionKind::Log1pNormal) == "log1p_normal");
  CHECK(to_string(DistributionKind::Hurdle) == "hurdle");
  CHECK_THROWS_AS(parse_distribution_kind("poisson"), InvalidArgument);
}

TEST_CASE("subset keeps the rows in order", "[distribution]") {
  const PredictiveDistribution d = PredictiveDistribution::gaussian(vec({1.0, 2.0, 3.0}), vec({0.1, 0.2, 0.3}));
  const PredictiveDistribution s = d.subset({2, 0});
  REQUIRE(s.size() == 2);
  CHECK(s.loc[0] == 3.0);
  CHECK(s.loc[1] == 1.0);
  CHECK(s.scale[0] == 0.3);
  CHECK(s.scale[1] == 0.1);
  const PredictiveDistribution b = PredictiveDistribution::bernoulli(vec({0.1, 0.9})).subset({1});
  CHECK(b.probability.size() == 1);
  CHECK(b.probability[0] == 0.9);
}
