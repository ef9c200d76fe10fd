// SPDX-License-Identifier: MIT
/// @file
/// @brief Recalibration of predicted standard deviations, σ' = a·σ + b, fitted by Gaussian NLL on
/// held-out residuals (Palmer et al. 2022, npj Comput. Mater. 8, 115).
#pragma once

#include <Eigen/Core>

#include "matopt/models/surrogate.hpp"

namespace matopt {

struct StdCalibration {
  double a = 1.0;
  double b = 0.0;  ///< in the target's units
  bool fitted = false;

  /// @brief σ' = a·σ + b.
  Eigen::VectorXd apply(const Eigen::VectorXd& std) const;
  /// @brief Rescales a prediction: total std becomes a·σ + b; epistemic and aleatoric variances are
  /// scaled by the same factor (σ'/σ)² (if σ = 0 the added b² counts as aleatoric).
  Prediction apply(const Prediction& p) const;
};

/// @brief Fits a ≥ 1e-4·, b ≥ 0 minimizing Σ log(aσᵢ+b) + rᵢ²/(2(aσᵢ+b)²) with bounded L-BFGS.
/// `residuals` = y − μ on held-out points, `std` = predicted σ there (> 0 on average).
/// Throws InvalidArgument on size mismatch, fewer than 2 points or non-finite input.
StdCalibration fit_std_calibration(const Eigen::VectorXd& residuals, const Eigen::VectorXd& std);

}  // namespace matopt
