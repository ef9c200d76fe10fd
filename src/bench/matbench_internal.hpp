// SPDX-License-Identifier: MIT
// Private helpers of the Matbench runner (not installed).
#pragma once

#include <Eigen/Core>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "matopt/bench/matbench.hpp"
#include "matopt/models/calibration.hpp"

namespace matopt::matbench_internal {

/// The metrics of a fold result, by the names the results file uses.
std::map<std::string, double> metrics_map(const RegressionScores& s);
std::map<std::string, double> metrics_map(const ClassificationScores& s);

/// σ' = a·σ + b fitted by Gaussian NLL on held-out residuals y - mean (the models layer's recalibration).
/// Returns (a, b).
std::pair<double, double> fit_sigma_recalibration(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                                  const Eigen::VectorXd& std);

/// The equal-weight mixture of several Gaussian predictions N(locs[j][i], scales[j][i]²) of the same
/// rows, moment-matched to one Gaussian per row: loc the mean of the locs, scale² the mean of the
/// scales² plus the spread of the locs, mean_j (locs[j][i] − loc[i])².
void pool_gaussians(const std::vector<const Eigen::VectorXd*>& locs, const std::vector<const Eigen::VectorXd*>& scales,
                    Eigen::VectorXd& loc, Eigen::VectorXd& scale);

/// Probability integral transforms [F(y−), F(y)] of each row's predictive distribution: y = 0 with
/// probability 1 − p_positive[i] (empty: no point mass), else g(y) ~ N(loc[i], scale[i]²), g = log1p
/// if log_space. In log space the distribution is of max(0, y) (the mass below 0 sits at 0, as the point
/// prediction is clipped at 0). Returns (lo, hi); lo == hi except for a target on the point mass at 0.
std::pair<Eigen::VectorXd, Eigen::VectorXd> pit_intervals(const Eigen::VectorXd& y, const Eigen::VectorXd& p_positive,
                                                          const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                                                          bool log_space);

/// The "hurdle" prediction for one row: y = 0 with probability 1 - p, else log(1 + y) ~ N(m, s²).
/// Returns the mixture's median (the MAE-optimal point prediction; 0 when p <= 0.5) and its standard
/// deviation (exact moments of the log-normal part).
std::pair<double, double> hurdle_median_and_std(double p, double m, double s);

/// Quantile v of one row's predictive distribution as in pit_intervals, p the probability of the
/// continuous part (1 without a point mass): loc + scale·Φ⁻¹(v), or in log space 0 for v <= 1 − p and
/// else max(0, expm1(loc + scale·Φ⁻¹((v − (1 − p))/p))). v is clamped to [1e-15, 1 − 1e-15] inside Φ⁻¹.
double distribution_quantile(double p, double loc, double scale, bool log_space, double v);

/// Point prediction and σ of each row's distribution (as in pit_intervals), recalibrated by `r` when it
/// is fitted: identity space the mean and scale, log1p the median expm1(loc) (clipped at 0) and σ by
/// the delta method, hurdle the mixture's exact median and σ; after R the median F⁻¹(R⁻¹(½)) and
/// recalibrated_std. σ is floored at 1e-12·(1 + |mean|) and capped at 1e150 (NaN → the cap) so that the
/// Gaussian scores can use it.
void summarize_distribution(const Eigen::VectorXd& p_positive, const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                            bool log_space, const PitCalibration& r, Eigen::VectorXd& mean, Eigen::VectorXd& std);

/// Standard deviation of that distribution recalibrated by R (CDF R ∘ F). R is linear on cells of
/// width 1/M in v = F(y), so R ∘ F reweights F's mass in cell k by M·(R((k+1)/M) − R(k/M)); the
/// moments are sums of F's partial moments over the cells, in closed form for the Gaussian and
/// log-normal parts (`z_cells`: Φ⁻¹(k/M), k = 0..M, shared by every row, computed by the caller).
double recalibrated_std(double p, double loc, double scale, bool log_space, const PitCalibration& r,
                        const std::vector<double>& z_cells);

}  // namespace matopt::matbench_internal
