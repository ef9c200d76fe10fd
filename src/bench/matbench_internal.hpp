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

/// The "hurdle" prediction for one row: the zero-inflated mixture (1 - p)·δ(0) + p·N(mu, s²), where p is
/// P(y > 0). Returns its median (the MAE-optimal point prediction: 0 when p <= 0.5, clipped at 0) and
/// its standard deviation.
std::pair<double, double> hurdle_median_and_std(double p, double mu, double s);

}  // namespace matopt::matbench_internal
