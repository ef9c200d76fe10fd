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

}  // namespace matopt::matbench_internal
