// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>

#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/calibration.hpp"
#include "matopt/models/metrics.hpp"

using namespace matopt;
using Eigen::VectorXd;

namespace {
VectorXd v(std::initializer_list<double> x) {
  VectorXd r(static_cast<Eigen::Index>(x.size()));
  Eigen::Index i = 0;
  for (double e : x) r[i++] = e;
  return r;
}
}  // namespace

TEST_CASE("regression metrics match hand-computed values", "[metrics]") {
  const VectorXd y = v({1, 2, 3, 4}), m = v({1.5, 2, 2, 5}), s = v({1, 1, 2, 0.5});
  CHECK(mae(y, m) == Approx(0.625));
  CHECK(rmse(y, m) == Approx(0.75));
  CHECK(r2_score(y, m) == Approx(0.55));
  // z = [-0.5, 0, 0.5, -2]; Σ log s = 0; ½Σz² = 2.25
  CHECK(gaussian_nll(y, m, s) == Approx(0.5 * std::log(2 * M_PI) + 0.5625));
  CHECK(interval_coverage(y, m, s, 0.6826894921370859) == Approx(0.75));
  CHECK(interval_coverage(y, m, s, 0.95) == Approx(0.75));
  CHECK(sharpness(s) == Approx(1.25));
  CHECK(std::isnan(r2_score(v({2, 2}), v({1, 3}))));
  CHECK_THROWS_AS(mae(y, v({1, 2})), InvalidArgument);
  CHECK_THROWS_AS(gaussian_nll(y, m, v({1, 0, 1, 1})), InvalidArgument);
  const RegressionMetrics all = regression_metrics(y, m, s);
  CHECK(all.mae == Approx(0.625));
  CHECK(all.coverage68 == Approx(0.75));
}

TEST_CASE("normal quantile", "[metrics]") {
  CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-13));
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-15));
  CHECK(normal_quantile(0.15865525393145707) == Approx(-1.0).epsilon(1e-12));
  CHECK(normal_quantile(1e-10) == Approx(-6.361340902404056).epsilon(1e-10));
}

TEST_CASE("miscalibration area: extreme and calibrated cases", "[metrics]") {
  const VectorXd y = VectorXd::LinSpaced(10, 0, 9), s = VectorXd::Ones(10);
  // Zero residuals: observed proportion 1 for every p, so area = ∫(1 − p) dp = ½ (trapezoid exact).
  CHECK(miscalibration_area(y, y, s) == Approx(0.5).epsilon(1e-12));
  // Huge residuals: observed 0 except at p = 1, so ½ − ½·(1/99) on the 100-point grid.
  CHECK(miscalibration_area(y, y.array() + 100.0, s) == Approx(0.5 - 0.5 / 99).epsilon(1e-12));
  // Calibrated Gaussian residuals: near 0.
  Rng rng(1);
  VectorXd yy(20000), mm = VectorXd::Zero(20000), ss(20000);
  for (int i = 0; i < 20000; ++i) {
    ss[i] = 0.5 + uniform01(rng);
    yy[i] = ss[i] * standard_normal(rng);
  }
  CHECK(miscalibration_area(yy, mm, ss) < 0.01);
  CHECK(interval_coverage(yy, mm, ss, 0.95) == Approx(0.95).margin(0.01));
}

TEST_CASE("PIT calibration: Gaussian PITs agree with the Gaussian metrics, point masses count by overlap", "[metrics]") {
  // Continuous predictions: the PIT form is the Gaussian form (same observed proportions).
  Rng rng(3);
  VectorXd y(500), m(500), s(500), u(500);
  for (int i = 0; i < 500; ++i) {
    m[i] = standard_normal(rng);
    s[i] = 0.2 + uniform01(rng);
    y[i] = m[i] + 1.7 * s[i] * standard_normal(rng);  // overdispersed: a clearly nonzero area
    u[i] = 0.5 * std::erfc(-(y[i] - m[i]) / (s[i] * std::sqrt(2.0)));
  }
  CHECK(pit_miscalibration_area(u, u) == Approx(miscalibration_area(y, m, s)).epsilon(1e-12));
  CHECK(pit_miscalibration_area(u, u) > 0.1);
  for (double level : {0.3, 0.6826894921370859, 0.95})
    CHECK(pit_interval_coverage(u, u, level) == Approx(interval_coverage(y, m, s, level)).epsilon(1e-12));
  // One row on an atom spanning [0, ½]: its share inside [½ − L/2, ½ + L/2] is (L/2)/(½) = L for every
  // level L, exactly calibrated, so the area is 0 (the non-randomized PIT would say 0 or 1 instead).
  const VectorXd lo = v({0.0}), hi = v({0.5});
  CHECK(pit_interval_coverage(lo, hi, 0.2) == Approx(0.2).epsilon(1e-15));
  CHECK(pit_interval_coverage(lo, hi, 0.9) == Approx(0.9).epsilon(1e-15));
  CHECK(pit_miscalibration_area(lo, hi) == Approx(0.0).margin(1e-15));
  // Atom [0.2, 0.6] at level 0.5 overlaps [0.25, 0.6] of [0.25, 0.75]: 0.35/0.4; a point at 0.9 is outside.
  CHECK(pit_interval_coverage(v({0.2, 0.9}), v({0.6, 0.9}), 0.5) == Approx(0.5 * 0.35 / 0.4).epsilon(1e-12));
  CHECK_THROWS_AS(pit_interval_coverage(v({0.6}), v({0.5}), 0.5), InvalidArgument);
  CHECK_THROWS_AS(pit_interval_coverage(v({0.5}), v({1.5}), 0.5), InvalidArgument);
  CHECK_THROWS_AS(pit_interval_coverage(v({0.5}), v({0.5}), 1.0), InvalidArgument);
  CHECK_THROWS_AS(pit_miscalibration_area(v({0.5, 0.5}), v({0.5}), 100), InvalidArgument);
}

TEST_CASE("Spearman with and without ties", "[metrics]") {
  CHECK(spearman(v({1, 2, 3, 4}), v({1, 3, 2, 4})) == Approx(0.8));
  CHECK(spearman(v({1, 2, 2, 3}), v({1, 2, 3, 4})) == Approx(4.5 / std::sqrt(22.5)));
  CHECK(spearman(v({1, 2, 3}), v({3, 2, 1})) == Approx(-1.0));
  CHECK(std::isnan(spearman(v({1, 1, 1}), v({1, 2, 3}))));
  CHECK(error_uncertainty_spearman(v({0, 0, 0}), v({1, -2, 3}), v({1, 2, 3})) == Approx(1.0));
}

TEST_CASE("classification metrics match hand-computed values", "[metrics]") {
  CHECK(roc_auc(v({0, 0, 1, 1}), v({0.1, 0.4, 0.35, 0.8})) == Approx(0.75));
  // One tied positive/negative pair counts ½: (0.5 + 1 + 1 + 1) / 4.
  CHECK(roc_auc(v({0, 1, 0, 1}), v({0.5, 0.5, 0.2, 0.9})) == Approx(0.875));
  CHECK_THROWS_AS(roc_auc(v({1, 1}), v({0.1, 0.2})), InvalidArgument);
  const VectorXd labels = v({1, 0, 1, 1, 0});
  CHECK(accuracy(labels, v({1, 0, 0, 1, 1})) == Approx(0.6));
  CHECK(balanced_accuracy(labels, v({1, 0, 0, 1, 1})) == Approx((2.0 / 3.0 + 0.5) / 2.0));
  // Thresholding 0.9,0.2,0.4,0.6,0.7 at 0.5 gives 1,0,0,1,1: the AUC equals the balanced accuracy.
  const VectorXd scores = v({0.9, 0.2, 0.4, 0.6, 0.7});
  CHECK(matbench_roc_auc(labels, scores) == Approx((2.0 / 3.0 + 0.5) / 2.0));
  CHECK(roc_auc(labels, scores) == Approx(4.0 / 6.0));
}

TEST_CASE("std recalibration recovers a known a, b", "[calibration]") {
  Rng rng(42);
  const int n = 20000;
  VectorXd s(n), r(n);
  for (int i = 0; i < n; ++i) {
    s[i] = 0.5 + 1.5 * uniform01(rng);
    r[i] = (2.0 * s[i] + 0.5) * standard_normal(rng);
  }
  const StdCalibration c = fit_std_calibration(r, s);
  CHECK(c.fitted);
  CHECK(c.a == Approx(2.0).margin(0.1));
  CHECK(c.b == Approx(0.5).margin(0.12));
  // Already calibrated σ: a ≈ 1, b ≈ 0.
  for (int i = 0; i < n; ++i) r[i] = s[i] * standard_normal(rng);
  const StdCalibration id = fit_std_calibration(r, s);
  CHECK(id.a == Approx(1.0).margin(0.05));
  CHECK(id.b == Approx(0.0).margin(0.05));
  CHECK_THROWS_AS(fit_std_calibration(v({1.0}), v({1.0})), InvalidArgument);

  // σ floored at 1e-12 (a model without spread): b carries the residuals' whole scale, N(0, 3²).
  for (int i = 0; i < n; ++i) {
    s[i] = 1e-12;
    r[i] = 3.0 * standard_normal(rng);
  }
  const StdCalibration floor = fit_std_calibration(r, s);
  CHECK(floor.apply(v({1e-12}))[0] == Approx(3.0).margin(0.05));
}

TEST_CASE("recalibrated predictions keep the epistemic/aleatoric split", "[calibration]") {
  StdCalibration c;
  c.a = 2.0;
  c.b = 1.0;
  Prediction p;
  p.mean = v({0, 1});
  p.epistemic_variance = v({3, 0});
  p.aleatoric_variance = v({1, 0});
  p.variance = v({4, 0});
  const Prediction q = c.apply(p);
  // σ = 2 → σ' = 5: both parts scale by 25/4.
  CHECK(q.variance[0] == Approx(25.0));
  CHECK(q.epistemic_variance[0] == Approx(3.0 * 25.0 / 4.0));
  CHECK(q.aleatoric_variance[0] == Approx(25.0 / 4.0));
  // σ = 0 → σ' = b, counted as aleatoric.
  CHECK(q.variance[1] == Approx(1.0));
  CHECK(q.aleatoric_variance[1] == Approx(1.0));
  CHECK(q.mean == p.mean);
}

TEST_CASE("quantile recalibration: knots derived by hand, inverse, stored-knot validation", "[calibration]") {
  // PITs 0.25, 0.5, 0.75 on a grid of 4 cells: n·Ĝ(u) at u = ¼, ½, ¾ is 1, 2, 3, so
  // R(k/4) = (n·Ĝ + u)/(n + 1) = 1.25/4, 2.5/4, 3.75/4.
  const PitCalibration r = fit_pit_calibration(v({0.5, 0.25, 0.75}), v({0.5, 0.25, 0.75}), 4);
  REQUIRE(r.knots.size() == 5);
  CHECK(r.knots[0] == 0.0);
  CHECK(r.knots[1] == Approx(0.3125).epsilon(1e-15));
  CHECK(r.knots[2] == Approx(0.625).epsilon(1e-15));
  CHECK(r.knots[3] == Approx(0.9375).epsilon(1e-15));
  CHECK(r.knots[4] == 1.0);
  CHECK(r.apply(0.375) == Approx(0.46875).epsilon(1e-15));  // halfway between the knots at ¼ and ½
  CHECK(r.inverse(0.625) == Approx(0.5).epsilon(1e-15));
  CHECK(r.inverse(0.46875) == Approx(0.375).epsilon(1e-15));
  CHECK(r.inverse(r.apply(0.9)) == Approx(0.9).epsilon(1e-14));
  CHECK(r.apply(-1.0) == 0.0);
  CHECK(r.inverse(2.0) == 1.0);
  // A target on a point mass has the PIT interval [0, ½]: a uniform draw inside it, so Ĝ(¼) = ½,
  // Ĝ(½) = 1: R(¼) = (0.5 + 0.25)/2, R(½) = (1 + 0.5)/2.
  const PitCalibration atom = fit_pit_calibration(v({0.0}), v({0.5}), 4);
  CHECK(atom.knots[1] == Approx(0.375).epsilon(1e-15));
  CHECK(atom.knots[2] == Approx(0.75).epsilon(1e-15));
  // Not fitted: the identity.
  CHECK(PitCalibration{}.apply(0.3) == 0.3);
  CHECK(PitCalibration{}.inverse(0.3) == 0.3);
  CHECK(PitCalibration::from_knots({0.0, 0.2, 1.0}).apply(0.25) == Approx(0.1).epsilon(1e-15));
  CHECK_THROWS_AS(PitCalibration::from_knots({0.0, 0.5, 0.5, 1.0}), InvalidArgument);
  CHECK_THROWS_AS(PitCalibration::from_knots({0.1, 1.0}), InvalidArgument);
  CHECK_THROWS_AS(PitCalibration::from_knots({0.0}), InvalidArgument);
  CHECK_THROWS_AS(fit_pit_calibration(v({0.5}), v({0.4}), 4), InvalidArgument);  // lo > hi
  CHECK_THROWS_AS(fit_pit_calibration(VectorXd(), VectorXd(), 4), InvalidArgument);
  CHECK_THROWS_AS(fit_pit_calibration(v({0.5}), v({0.5}), 1), InvalidArgument);
}

TEST_CASE("quantile recalibration makes a too-wide Gaussian calibrated", "[calibration]") {
  // Targets at the quantiles of N(0, 1) predicted as N(0, 2²): PIT Φ(y/2) piles up around ½ and the
  // miscalibration area is large. After R the PITs are uniform up to the grid and the pseudo-PIT, and
  // the recalibrated 84.13 % quantile 2·Φ⁻¹(R⁻¹(Φ(1))) is the true σ = 1.
  const int n = 2000;
  VectorXd y(n), pit(n);
  for (int i = 0; i < n; ++i) {
    y[i] = normal_quantile((i + 0.5) / n);
    pit[i] = 0.5 * std::erfc(-y[i] / (2.0 * std::sqrt(2.0)));
  }
  const PitCalibration r = fit_pit_calibration(pit, pit);
  VectorXd mapped(n);
  for (int i = 0; i < n; ++i) mapped[i] = r.apply(pit[i]);
  CHECK(pit_miscalibration_area(pit, pit) > 0.15);
  CHECK(pit_miscalibration_area(mapped, mapped) < 0.005);
  CHECK(2.0 * normal_quantile(r.inverse(0.8413447460685429)) == Approx(1.0).margin(0.01));
  CHECK(2.0 * normal_quantile(r.inverse(0.5)) == Approx(0.0).margin(1e-3));
}
