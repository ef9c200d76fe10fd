// SPDX-License-Identifier: MIT
// Private helpers of the Matbench runner (not installed).
#pragma once

#include <Eigen/Core>

#include <utility>

namespace matopt::matbench_internal {

/// σ' = a·σ + b fitted by Gaussian NLL on held-out residuals y - mean (the models layer's recalibration).
/// Returns (a, b).
std::pair<double, double> fit_sigma_recalibration(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                                  const Eigen::VectorXd& std);

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

}  // namespace matopt::matbench_internal
