// SPDX-License-Identifier: MIT
// Matbench scoring on top of the models layer's metrics and σ recalibration.
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

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
                                           bool log_space, const PitCalibration& quantile_calibration) {
  RegressionScores s = score_matbench_regression(y, mean, std);
  auto [lo, hi] = distribution::pit_intervals(y, p_positive, loc, scale, log_space);
  if (quantile_calibration.fitted()) {
    for (Eigen::Index i = 0; i < lo.size(); ++i) {
      lo[i] = quantile_calibration.apply(lo[i]);
      hi[i] = quantile_calibration.apply(hi[i]);
    }
  }
  s.miscalibration_area = pit_miscalibration_area(lo, hi);
  s.coverage68 = pit_interval_coverage(lo, hi, 0.6826894921370859);
  s.coverage95 = pit_interval_coverage(lo, hi, 0.95);
  return s;
}

ClassificationScores score_matbench_classification(const Eigen::VectorXd& y, const Eigen::VectorXd& p, double threshold) {
  if (y.size() != p.size() || y.size() == 0)
    throw InvalidArgument("classification scores: need equally sized, non-empty label and probability vectors (got " +
                          std::to_string(y.size()) + " and " + std::to_string(p.size()) + ")");
  // Hard labels, as Matbench scores them: the labels a submission would hold.
  const Eigen::VectorXd hard = (p.array() >= threshold).cast<double>().matrix();
  ClassificationScores s;
  s.accuracy = accuracy(y, hard);
  s.balanced_accuracy = balanced_accuracy(y, hard);
  const bool both_classes = (y.array() > 0.5).any() && (y.array() < 0.5).any();
  // AUC is undefined with one class in the test fold; NaN rather than an exception mid-benchmark.
  s.rocauc_matbench = both_classes ? matbench_roc_auc(y, p, threshold) : std::nan("");
  s.rocauc = both_classes ? roc_auc(y, p) : std::nan("");
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double q = std::clamp(p[i], 1e-15, 1.0 - 1e-15);
    ll -= y[i] > 0.5 ? std::log(q) : std::log1p(-q);
  }
  s.log_loss = ll / static_cast<double>(y.size());
  return s;
}

MatbenchRun rescore_matbench_run(MatbenchRun run) {
  for (MatbenchFoldResult& f : run.folds) {
    if (run.type == MatbenchTaskType::Classification) {
      f.metrics = matbench_internal::metrics_map(score_matbench_classification(f.y_true, f.mean, f.threshold));
      continue;
    }
    const bool has_dist = f.loc.size() == f.y_true.size() && f.scale.size() == f.y_true.size() && f.y_true.size() > 0;
    if (!has_dist) {  // written before matopt 0.3: only the Gaussian summary is there
      f.metrics = matbench_internal::metrics_map(score_matbench_regression(f.y_true, f.mean, f.std));
      continue;
    }
    distribution::summarize(f.p_positive, f.loc, f.scale, f.log_space, f.quantile_calibration, f.mean, f.std);
    f.metrics = matbench_internal::metrics_map(score_matbench_regression(
        f.y_true, f.mean, f.std, f.p_positive, f.loc, f.scale, f.log_space, f.quantile_calibration));
    if (!std::isnan(f.conformal_q))
      f.metrics["conformal_coverage"] = matbench_internal::conformal_coverage(f.y_true, f.mean, f.std, f.conformal_q);
  }
  return run;
}

namespace matbench_internal {

std::map<std::string, double> metrics_map(const RegressionScores& s) {
  return {{"mae", s.mae},
          {"rmse", s.rmse},
          {"r2", s.r2},
          {"nll", s.nll},
          {"miscalibration_area", s.miscalibration_area},
          {"coverage68", s.coverage68},
          {"coverage95", s.coverage95}};
}

std::map<std::string, double> metrics_map(const ClassificationScores& s) {
  return {{"rocauc_matbench", s.rocauc_matbench},
          {"rocauc", s.rocauc},
          {"accuracy", s.accuracy},
          {"balanced_accuracy", s.balanced_accuracy},
          {"log_loss", s.log_loss}};
}

double conformal_coverage(const Eigen::VectorXd& y, const Eigen::VectorXd& mean, const Eigen::VectorXd& std, double q) {
  double inside = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) inside += std::abs(y[i] - mean[i]) <= q * std[i] ? 1 : 0;
  return y.size() ? inside / static_cast<double>(y.size()) : std::nan("");
}

std::pair<double, double> fit_sigma_recalibration(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                                  const Eigen::VectorXd& std) {
  const StdCalibration c = fit_std_calibration(y - mean, std);
  return {c.a, c.b};
}

}  // namespace matbench_internal
}  // namespace matopt
