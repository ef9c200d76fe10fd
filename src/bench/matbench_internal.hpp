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
#include "matopt/models/distribution.hpp"

namespace matopt::matbench_internal {

/// The metrics of a fold result, by the names the results file uses.
std::map<std::string, double> metrics_map(const RegressionScores& s);
std::map<std::string, double> metrics_map(const ClassificationScores& s);

/// σ' = a·σ + b fitted by Gaussian NLL on held-out residuals y - mean (the models layer's recalibration).
/// Returns (a, b).
std::pair<double, double> fit_sigma_recalibration(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                                  const Eigen::VectorXd& std);

/// Fraction of rows with |y − mean| <= q·std: the conformal interval's test coverage.
double conformal_coverage(const Eigen::VectorXd& y, const Eigen::VectorXd& mean, const Eigen::VectorXd& std, double q);

}  // namespace matopt::matbench_internal
