// SPDX-License-Identifier: MIT
// Projected L-BFGS for box-constrained smooth minimization (used for GP hyperparameters).
#pragma once

#include <Eigen/Core>

#include <functional>

namespace matopt::detail {

struct BoxLbfgsOptions {
  int max_iterations = 100;
  int memory = 8;
  double gradient_tolerance = 1e-5;  ///< on the projected gradient (infinity norm)
  double relative_tolerance = 1e-9;  ///< on the objective decrease
};

struct BoxLbfgsResult {
  Eigen::VectorXd x;
  double value = 0.0;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
};

/// f(x, grad) returns the objective and fills grad; a non-finite value means "outside the domain"
/// and makes the line search back off.
using Objective = std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>;

BoxLbfgsResult minimize_box_lbfgs(const Objective& f, const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                                  const Eigen::VectorXd& upper, const BoxLbfgsOptions& options);

}  // namespace matopt::detail
