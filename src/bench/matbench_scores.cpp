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
  auto [lo, hi] = matbench_internal::pit_intervals(y, p_positive, loc, scale, log_space);
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

MatbenchRun rescore_matbench_run(MatbenchRun run) {
  for (MatbenchFoldResult& f : run.folds) {
    if (run.type == MatbenchTaskType::Classification) {
      f.metrics = matbench_internal::metrics_map(score_matbench_classification(f.y_true, f.mean));
      continue;
    }
    const bool has_dist = f.loc.size() == f.y_true.size() && f.scale.size() == f.y_true.size() && f.y_true.size() > 0;
    if (!has_dist) {  // written before matopt 0.3: only the Gaussian summary is there
      f.metrics = matbench_internal::metrics_map(score_matbench_regression(f.y_true, f.mean, f.std));
      continue;
    }
    matbench_internal::summarize_distribution(f.p_positive, f.loc, f.scale, f.log_space, f.quantile_calibration, f.mean,
                                              f.std);
    f.metrics = matbench_internal::metrics_map(score_matbench_regression(
        f.y_true, f.mean, f.std, f.p_positive, f.loc, f.scale, f.log_space, f.quantile_calibration));
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

std::pair<double, double> fit_sigma_recalibration(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                                  const Eigen::VectorXd& std) {
  const StdCalibration c = fit_std_calibration(y - mean, std);
  return {c.a, c.b};
}

void pool_gaussians(const std::vector<const Eigen::VectorXd*>& locs, const std::vector<const Eigen::VectorXd*>& scales,
                    Eigen::VectorXd& loc, Eigen::VectorXd& scale) {
  if (locs.empty() || locs.size() != scales.size())
    throw InvalidArgument("pooling predictions: need as many scales as locations, at least one (got " +
                          std::to_string(locs.size()) + " and " + std::to_string(scales.size()) + ")");
  const Eigen::Index n = locs[0]->size();
  for (std::size_t j = 0; j < locs.size(); ++j)
    if (locs[j]->size() != n || scales[j]->size() != n)
      throw InvalidArgument("pooling predictions: member " + std::to_string(j) + " predicts " +
                            std::to_string(locs[j]->size()) + " rows, not " + std::to_string(n));
  const double w = 1.0 / static_cast<double>(locs.size());
  loc = Eigen::VectorXd::Zero(n);
  for (const auto* l : locs) loc += w * *l;
  // Spread about the pooled mean rather than E[loc²] − loc², which cancels when the members agree.
  Eigen::ArrayXd var = Eigen::ArrayXd::Zero(n);
  for (std::size_t j = 0; j < locs.size(); ++j)
    var += w * (scales[j]->array().square() + (locs[j]->array() - loc.array()).square());
  scale = var.sqrt().matrix();
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

double distribution_quantile(double p, double loc, double scale, bool log_space, double v) {
  auto z = [](double q) { return normal_quantile(std::clamp(q, 1e-15, 1.0 - 1e-15)); };
  if (!log_space) return loc + scale * z(v);
  p = std::clamp(p, 0.0, 1.0);
  if (v <= 1.0 - p) return 0.0;  // the point mass (and, in log space, the Gaussian part's mass below 0)
  return std::max(0.0, std::expm1(loc + scale * z((v - (1.0 - p)) / p)));
}

namespace {

double upper_tail(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }  // 1 − Φ(x), exact far out
double density(double x) { return std::isinf(x) ? 0.0 : std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }
// Φ(b) − Φ(a) for a <= b, from whichever tail keeps the digits.
double gaussian_mass(double a, double b) {
  return a > 0.0 ? upper_tail(a) - upper_tail(b) : upper_tail(-b) - upper_tail(-a);
}
double times_density(double z) { return std::isinf(z) ? 0.0 : z * density(z); }

}  // namespace

double recalibrated_std(double p, double loc, double scale, bool log_space, const PitCalibration& r,
                        const std::vector<double>& z_cells) {
  const std::size_t m = r.knots.size() - 1;
  p = log_space ? std::clamp(p, 0.0, 1.0) : 1.0;
  if (p == 0.0) return 0.0;  // all mass at 0
  // Only the continuous part (v > 1 − p) carries y != 0; its cell edges in z, where v = 1 − p + p·Φ(z).
  // w = (k/M − (1 − p))/p is written as 1 − (M − k)/(M·p) so that the top edge is exactly 1 (z = +∞):
  // 1 − (1 − p) is not p in floating point, and a top edge at z ≈ 8 would cut a wide log-normal's tail.
  auto z_at = [&](std::size_t k) {
    if (p == 1.0) return z_cells[k];
    const double w = 1.0 - static_cast<double>(m - k) / (static_cast<double>(m) * p);
    if (w <= 0.0) return -std::numeric_limits<double>::infinity();
    return k == m ? std::numeric_limits<double>::infinity() : normal_quantile(std::min(w, 1.0));
  };
  const double z0 = log_space ? -loc / scale : -std::numeric_limits<double>::infinity();  // y = 0 below
  double s1 = 0.0, s2 = 0.0;  // E'[y], E'[y²] (identity space: of z, scaled at the end)
  double za = z_at(0);
  for (std::size_t k = 0; k < m; ++k) {
    const double zb = z_at(k + 1);
    const double a = std::max(za, z0), b = zb;
    za = zb;
    if (!(b > a)) continue;
    const double weight = static_cast<double>(m) * (r.knots[k + 1] - r.knots[k]) * p;
    if (!log_space) {  // partial moments of z: ∫zφ = φ(a) − φ(b), ∫z²φ = ΔΦ + aφ(a) − bφ(b)
      s1 += weight * (density(a) - density(b));
      s2 += weight * (gaussian_mass(a, b) + times_density(a) - times_density(b));
    } else {  // y = e^(loc + scale·z) − 1: ∫e^(tz)φ = e^(t²/2)·(Φ(b − t) − Φ(a − t))
      // (a cell without mass adds nothing, even where the exponential overflows: no inf·0)
      const double m1 = gaussian_mass(a - scale, b - scale), m2 = gaussian_mass(a - 2.0 * scale, b - 2.0 * scale);
      const double e1 = m1 > 0.0 ? std::exp(loc + 0.5 * scale * scale) * m1 : 0.0;
      const double e2 = m2 > 0.0 ? std::exp(2.0 * loc + 2.0 * scale * scale) * m2 : 0.0;
      const double e0 = gaussian_mass(a, b);
      s1 += weight * (e1 - e0);
      s2 += weight * (e2 - 2.0 * e1 + e0);
    }
  }
  // Overflow (inf − inf) is NaN, which the caller caps; std::max(0, NaN) would turn it into 0.
  const double d = s2 - s1 * s1;
  if (std::isnan(d) || std::isinf(d)) return std::numeric_limits<double>::infinity();
  const double var = std::max(0.0, d);
  return log_space ? std::sqrt(var) : scale * std::sqrt(var);
}

void summarize_distribution(const Eigen::VectorXd& p_positive, const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                            bool log_space, const PitCalibration& r, Eigen::VectorXd& mean, Eigen::VectorXd& std) {
  const Eigen::Index n = loc.size();
  mean.resize(n);
  std.resize(n);
  if (r.fitted()) {
    // CDF R ∘ F: its quantile v is F's quantile R⁻¹(v), so the point prediction (the median) is F's
    // quantile R⁻¹(½); σ is that distribution's own standard deviation.
    const double v50 = r.inverse(0.5);
    const std::size_t cells = r.knots.size() - 1;
    std::vector<double> z_cells(cells + 1);
    for (std::size_t k = 0; k <= cells; ++k) z_cells[k] = normal_quantile(static_cast<double>(k) / static_cast<double>(cells));
    for (Eigen::Index i = 0; i < n; ++i) {
      const double p = p_positive.size() > 0 ? p_positive[i] : 1.0;
      mean[i] = distribution_quantile(p, loc[i], scale[i], log_space, v50);
      std[i] = recalibrated_std(p, loc[i], scale[i], log_space, r, z_cells);
    }
  } else if (p_positive.size() > 0) {
    for (Eigen::Index i = 0; i < n; ++i) std::tie(mean[i], std[i]) = hurdle_median_and_std(p_positive[i], loc[i], scale[i]);
  } else if (log_space) {
    mean = loc.array().expm1().cwiseMax(0.0).matrix();
    std = (loc.array().exp() * scale.array()).matrix();
  } else {
    mean = loc;
    std = scale;
  }
  // A σ the Gaussian scores can use: > 0 (a hurdle row sure of y = 0 has none) and with a finite σ²
  // (e^loc overflows for absurd log-space predictions).
  constexpr double kMaxStd = 1e150;
  for (Eigen::Index i = 0; i < n; ++i)
    std[i] = std::min(std::max(std::isnan(std[i]) ? kMaxStd : std[i], 1e-12 * (1.0 + std::abs(mean[i]))), kMaxStd);
}

}  // namespace matbench_internal
}  // namespace matopt
