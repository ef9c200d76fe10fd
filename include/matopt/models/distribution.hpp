// SPDX-License-Identifier: MIT
/// @file
/// @brief Predictive distributions as first-class values: one per predicted row, of four kinds
/// (Gaussian, log1p-normal, hurdle, Bernoulli), with mean, median, quantiles, CDF / PIT, central
/// intervals and sampling, optionally quantile-recalibrated (CDF R ∘ F).
///
/// @code
///   const matopt::Prediction p = model.predict(data)[0];
///   const matopt::PredictiveDistribution& d = p.distribution;
///   double q05 = d.quantile(0, 0.05), q95 = d.quantile(0, 0.95);  // row 0's 90 % interval
/// @endcode
#pragma once

#include <Eigen/Core>

#include <string>
#include <utility>
#include <vector>

#include "matopt/core/rng.hpp"
#include "matopt/models/calibration.hpp"

namespace matopt {

/// @brief The family of a row's predictive distribution.
enum class DistributionKind {
  Gaussian,     ///< y ~ N(loc, scale²)
  Log1pNormal,  ///< log(1 + y) ~ N(loc, scale²), y >= 0: the mass below y = 0 sits at 0 (targets >= 0)
  Hurdle,       ///< y = 0 with probability 1 − p_positive, else log(1 + y) ~ N(loc, scale²) as Log1pNormal
  Bernoulli,    ///< y ∈ {0, 1}, P(y = 1) = probability; the label is 1 when probability >= threshold
};

/// @brief "gaussian", "log1p_normal", "hurdle" or "bernoulli".
std::string to_string(DistributionKind kind);
/// @brief The inverse of to_string; InvalidArgument naming the valid names otherwise.
DistributionKind parse_distribution_kind(const std::string& name);

/// @brief The predictive distributions of n rows of one target (one struct of arrays, so that the
/// acquisition code can keep using Gaussian summaries of the same rows).
///
/// Continuous kinds may carry a quantile recalibration R (PitCalibration): the row's CDF is then R ∘ F,
/// F the CDF of the parametric part. Every accessor below includes it.
struct PredictiveDistribution {
  DistributionKind kind = DistributionKind::Gaussian;
  Eigen::VectorXd loc, scale;   ///< the Gaussian part (of y, or of log(1 + y)); scale > 0
  Eigen::VectorXd p_positive;   ///< Hurdle: P(y > 0)
  Eigen::VectorXd probability;  ///< Bernoulli: P(y = 1)
  double threshold = 0.5;       ///< Bernoulli: decision threshold of label()
  PitCalibration recalibration;  ///< continuous kinds: quantile recalibration (identity when not fitted)

  /// @brief Gaussian distributions N(mean, std²).
  static PredictiveDistribution gaussian(Eigen::VectorXd mean, Eigen::VectorXd std);
  /// @brief Bernoulli distributions with P(y = 1) = probability.
  static PredictiveDistribution bernoulli(Eigen::VectorXd probability, double threshold = 0.5);

  Eigen::Index size() const noexcept { return kind == DistributionKind::Bernoulli ? probability.size() : loc.size(); }
  bool continuous() const noexcept { return kind != DistributionKind::Bernoulli; }

  /// @brief F(y): P(Y <= y).
  double cdf(Eigen::Index i, double y) const;
  /// @brief F(y−): P(Y < y) (differs from cdf() on a point mass: y = 0 of log1p/hurdle, Bernoulli).
  double cdf_below(Eigen::Index i, double y) const;
  /// @brief The v-quantile, inf{y : F(y) >= v}; v is clamped to [1e-15, 1 − 1e-15].
  double quantile(Eigen::Index i, double v) const;
  double median(Eigen::Index i) const { return quantile(i, 0.5); }
  /// @brief Exact mean and standard deviation (of the recalibrated distribution when R is fitted).
  double mean(Eigen::Index i) const;
  double std(Eigen::Index i) const;
  /// @brief The central interval holding `level` of the mass: (quantile((1−level)/2), quantile((1+level)/2)).
  std::pair<double, double> interval(Eigen::Index i, double level) const;
  /// @brief One draw, by inversion of the CDF (one uniform from `rng`).
  double sample(Eigen::Index i, Rng& rng) const;
  /// @brief Bernoulli: 1 when probability >= threshold, else 0. InvalidArgument for other kinds.
  double label(Eigen::Index i) const;

  /// @brief quantile(i, v) of every row.
  Eigen::VectorXd quantiles(double v) const;
  /// @brief mean(i) and std(i) of every row (the recalibration's cells computed once).
  Eigen::VectorXd means() const;
  Eigen::VectorXd stds() const;
  /// @brief The randomized-PIT intervals [F(y−), F(y)] of targets y (one per row): lo == hi except on
  /// a point mass. InvalidArgument on a size mismatch, a non-finite target or a scale <= 0.
  std::pair<Eigen::VectorXd, Eigen::VectorXd> pit(const Eigen::VectorXd& y) const;

  /// @brief The summary used for point scores and by acquisition code. Continuous kinds: the point
  /// prediction is the median (what MAE rewards) and σ the distribution's spread (Gaussian: scale;
  /// log1p: the delta method e^loc·scale; hurdle: the exact mixture σ; recalibrated: the exact σ of
  /// R ∘ F), floored at 1e-12·(1 + |point|) and capped at 1e150. Bernoulli: the probability and
  /// sqrt(p(1 − p)).
  void summarize(Eigen::VectorXd& point, Eigen::VectorXd& sd) const;

  /// @brief Rows `rows` only (in that order).
  PredictiveDistribution subset(const std::vector<Eigen::Index>& rows) const;
};

/// @brief A prediction's distribution: its `distribution` when set, else N(mean, variance).
PredictiveDistribution distribution_of(const Prediction& p);

/// Low-level building blocks of the continuous kinds, shared with the Matbench scoring code.
/// "log space" means the log1p-normal or hurdle kinds; p is P(y > 0) (1 without a point mass).
namespace distribution {

/// [F(y−), F(y)] per row: y = 0 with probability 1 − p_positive[i] (empty: no point mass), else
/// g(y) ~ N(loc[i], scale[i]²), g = log1p if log_space (then of max(0, y)).
std::pair<Eigen::VectorXd, Eigen::VectorXd> pit_intervals(const Eigen::VectorXd& y, const Eigen::VectorXd& p_positive,
                                                          const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                                                          bool log_space);

/// The hurdle row's median (0 when p <= ½) and exact standard deviation.
std::pair<double, double> hurdle_median_and_std(double p, double m, double s);

/// Quantile v of one row: loc + scale·Φ⁻¹(v), or in log space 0 for v <= 1 − p and else
/// max(0, expm1(loc + scale·Φ⁻¹((v − (1 − p))/p))). v is clamped to [1e-15, 1 − 1e-15] inside Φ⁻¹.
double quantile(double p, double loc, double scale, bool log_space, double v);

/// Mean and standard deviation of one row's distribution recalibrated by R (CDF R ∘ F; R identity
/// when not fitted), exact: R is linear on cells of width 1/M in v = F(y), so the moments are sums
/// of F's partial moments over the cells. `z_cells`: Φ⁻¹(k/M), k = 0..M (computed once by the caller,
/// see z_cells()). Overflow gives an infinite σ.
std::pair<double, double> recalibrated_moments(double p, double loc, double scale, bool log_space,
                                               const PitCalibration& r, const std::vector<double>& z_cells);
/// σ of recalibrated_moments (kept for callers that need only σ).
double recalibrated_std(double p, double loc, double scale, bool log_space, const PitCalibration& r,
                        const std::vector<double>& z_cells);
/// Φ⁻¹(k/M) for k = 0..M, M = r.knots.size() − 1 (M = 1 for an unfitted R).
std::vector<double> z_cells(const PitCalibration& r);

/// The summary of PredictiveDistribution::summarize on raw arrays (p_positive empty: no point mass).
void summarize(const Eigen::VectorXd& p_positive, const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
               bool log_space, const PitCalibration& r, Eigen::VectorXd& point, Eigen::VectorXd& sd);

/// The equal-weight mixture of Gaussians N(locs[j][i], scales[j][i]²) moment-matched to one per row:
/// loc the mean of the locs, scale² the mean of scales² plus the spread of the locs about it.
void pool_gaussians(const std::vector<const Eigen::VectorXd*>& locs, const std::vector<const Eigen::VectorXd*>& scales,
                    Eigen::VectorXd& loc, Eigen::VectorXd& scale);

}  // namespace distribution

}  // namespace matopt
