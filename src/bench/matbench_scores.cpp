// SPDX-License-Identifier: MIT
// Matbench scoring on top of the models layer's metrics and σ recalibration.
#include <algorithm>
#include <cmath>

#include "bench/matbench_internal.hpp"
#include "matopt/bench/matbench.hpp"
#include "matopt/core/error.hpp"
#include "matopt/models/calibration.hpp"
#include "matopt/models/metrics.hpp"

namespace matopt {

RegressionScores score_matbench_regression(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                           const Eigen::VectorXd& std) {
  const RegressionMetrics m = regression_metrics(y, mean, std);
  RegressionScores s;
  s.mae = m.mae;
  s.rmse = m.rmse;
  s.r2 = m.r2;
  s.nll = m.nll;
  s.miscalibration_area = m.miscalibration_area;
  s.coverage68 = m.coverage68;
  s.coverage95 = m.coverage95;
  return s;
}

RegressionScores score_matbench_regression(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                           const Eigen::VectorXd& std, const Eigen::VectorXd& p_positive,
                                           const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                                           bool log_space) {
  RegressionScores s = score_matbench_regression(y, mean, std);
  const auto [lo, hi] = matbench_internal::pit_intervals(y, p_positive, loc, scale, log_space);
  s.miscalibration_area = pit_miscalibration_area(lo, hi);
  s.coverage68 = pit_interval_coverage(lo, hi, 0.6826894921370859);
  s.coverage95 = pit_interval_coverage(lo, hi, 0.95);
  return s;
}

ClassificationScores score_matbench_classification(const Eigen::VectorXd& y, const Eigen::VectorXd& p) {
  if (y.size() != p.size() || y.size() == 0)
    throw InvalidArgument("classification scores: need equally sized, non-empty label and probability vectors (got " +
                          std::to_string(y.size()) + " and " + std::to_string(p.size()) + ")");
  // Hard labels at 0.5, the way Matbench thresholds predictions before its metrics.
  const Eigen::VectorXd hard = (p.array() >= 0.5).cast<double>().matrix();
  ClassificationScores s;
  s.accuracy = accuracy(y, hard);
  s.balanced_accuracy = balanced_accuracy(y, hard);
  const bool both_classes = (y.array() > 0.5).any() && (y.array() < 0.5).any();
  // AUC is undefined with one class in the test fold; NaN rather than an exception mid-benchmark.
  s.rocauc_matbench = both_classes ? matbench_roc_auc(y, p, 0.5) : std::nan("");
  s.rocauc = both_classes ? roc_auc(y, p) : std::nan("");
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double q = std::clamp(p[i], 1e-15, 1.0 - 1e-15);
    ll -= y[i] > 0.5 ? std::log(q) : std::log1p(-q);
  }
  s.log_loss = ll / static_cast<double>(y.size());
  return s;
}

namespace matbench_internal {

std::pair<double, double> fit_sigma_recalibration(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                                  const Eigen::VectorXd& std) {
  const StdCalibration c = fit_std_calibration(y - mean, std);
  return {c.a, c.b};
}

std::pair<Eigen::VectorXd, Eigen::VectorXd> pit_intervals(const Eigen::VectorXd& y, const Eigen::VectorXd& p_positive,
                                                          const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                                                          bool log_space) {
  const Eigen::Index n = y.size();
  if (loc.size() != n || scale.size() != n || (p_positive.size() != 0 && p_positive.size() != n))
    throw InvalidArgument("PIT intervals: need " + std::to_string(n) + " locations, scales and (if any) probabilities; got " +
                          std::to_string(loc.size()) + ", " + std::to_string(scale.size()) + ", " +
                          std::to_string(p_positive.size()));
  auto cdf = [&](Eigen::Index i, double t) {  // the Gaussian part's CDF at t >= 0 (original units)
    const double g = log_space ? std::log1p(t) : t;
    return 0.5 * std::erfc(-(g - loc[i]) / (scale[i] * std::sqrt(2.0)));
  };
  Eigen::VectorXd lo(n), hi(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(scale[i] > 0) || !std::isfinite(y[i]))
      throw InvalidArgument("PIT intervals: row " + std::to_string(i) + " needs a finite target and a scale > 0");
    if (log_space && y[i] < 0.0) {  // below the support (log1p and hurdle need targets >= 0)
      lo[i] = hi[i] = 0.0;
      continue;
    }
    // Mixture (hurdle): mass 1 − p at exactly 0, the Gaussian part with weight p. In log space the
    // predictions are of max(0, y) (the point prediction is clipped at 0): the Gaussian part's mass
    // below 0 sits at 0 too, so a target of exactly 0 falls on an atom and its PIT is the whole jump
    // [F(0−), F(0)] = [0, F(0)].
    const double p = p_positive.size() == 0 ? 1.0 : std::clamp(p_positive[i], 0.0, 1.0);
    hi[i] = std::min(1.0, (1.0 - p) + p * cdf(i, y[i]));
    lo[i] = log_space && y[i] == 0.0 ? 0.0 : hi[i];
  }
  return {lo, hi};
}

std::pair<double, double> hurdle_median_and_std(double p, double m, double s) {
  p = std::clamp(p, 0.0, 1.0);
  // y > 0 part: log(1 + y) ~ N(m, s²). Quantiles survive the monotone map, so the mixture's median
  // solves (1 - p) + p·Φ((log(1 + t) - m)/s) = 1/2, i.e. t = expm1(m + s·Φ⁻¹((p - 1/2)/p)) for p > 1/2.
  double median = 0.0;
  if (p > 0.5) median = std::max(0.0, std::expm1(m + s * normal_quantile(std::clamp((p - 0.5) / p, 1e-12, 1.0 - 1e-12))));
  if (p == 0.0) return {0.0, 0.0};  // all mass at 0, whatever the other part says
  // X = e^Z - 1 for Z ~ N(m, s²): E[X] = e^(m + s²/2) - 1, Var X = e^(2m + 2s²)·(1 - e^(-s²)) (this form
  // cannot be 0·inf). The mixture's variance p·Var X + p(1 - p)·E[X]² is a sum of non-negative terms
  // (the second left out when p = 1), so an overflow gives +inf, never NaN.
  const double mean_x = std::expm1(m + 0.5 * s * s);
  const double var_x = s > 0 ? std::exp(2.0 * m + 2.0 * s * s) * -std::expm1(-s * s) : 0.0;
  const double between = p < 1.0 ? p * (1.0 - p) * mean_x * mean_x : 0.0;
  return {median, std::sqrt(p * var_x + between)};
}

}  // namespace matbench_internal
}  // namespace matopt
