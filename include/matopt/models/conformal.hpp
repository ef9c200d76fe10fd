// SPDX-License-Identifier: MIT
/// @file
/// @brief Conformal prediction intervals with a finite-sample coverage guarantee, from held-out
/// (inner cross-validation) residuals: point ± q·σ, q the ⌈(n + 1)·coverage⌉-th smallest of the
/// normalized scores |y − point| / σ (normalized split conformal; with cross-validation residuals
/// this is the CV+ construction of Barber et al. 2021, Ann. Statist. 49, 486, for a σ-scaled score).
#pragma once

#include <Eigen/Core>

#include <utility>

namespace matopt {

struct ConformalInterval {
  double coverage = 0.9;  ///< nominal coverage
  double q = 0.0;         ///< the score quantile (+inf when n is too small for the coverage)
  bool fitted = false;

  /// @brief From held-out targets, point predictions and σ (σ > 0). InvalidArgument on size
  /// mismatch, no rows, coverage outside (0, 1) or a σ <= 0.
  static ConformalInterval fit(const Eigen::VectorXd& y, const Eigen::VectorXd& point, const Eigen::VectorXd& sd,
                               double coverage);
  /// @brief (lower, upper) = point ∓ q·σ per row.
  std::pair<Eigen::VectorXd, Eigen::VectorXd> apply(const Eigen::VectorXd& point, const Eigen::VectorXd& sd) const;
};

}  // namespace matopt
