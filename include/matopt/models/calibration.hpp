// SPDX-License-Identifier: MIT
/// @file
/// @brief Recalibration of predicted standard deviations, σ' = a·σ + b, fitted by Gaussian NLL on
/// held-out residuals (Palmer et al. 2022, npj Comput. Mater. 8, 115), and quantile recalibration of a
/// whole predictive distribution (Kuleshov, Fenner and Ermon 2018, ICML).
#pragma once

#include <Eigen/Core>

#include <vector>

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

/// @brief Quantile recalibration: a strictly increasing map R of [0, 1] onto itself, applied to a
/// predictive CDF F so that F' = R ∘ F. Fitted so that R(PIT) is uniform on the held-out rows, it
/// corrects any shape of miscalibration (bias, too wide or too narrow, heavy tails) that a rescaled σ
/// cannot. Piecewise linear through `knots` = R(k/M), k = 0..M; empty = identity. The knots must
/// start at 0, end at 1 and strictly increase (from_knots and fit_pit_calibration guarantee it).
struct PitCalibration {
  std::vector<double> knots;

  bool fitted() const noexcept { return !knots.empty(); }
  /// @brief R(u) for u in [0, 1] (clamped).
  double apply(double u) const;
  /// @brief R⁻¹(r) for r in [0, 1] (clamped).
  double inverse(double r) const;
  /// @brief From stored knots; InvalidArgument unless there are >= 2, the first is 0, the last 1 and
  /// they strictly increase.
  static PitCalibration from_knots(std::vector<double> knots);
};

/// @brief Fits R from held-out PIT intervals [lo_i, hi_i] (lo == hi for a continuous distribution; an
/// interval for a target on a point mass, counted as a uniform draw inside it, the randomized PIT).
/// R(k/M) = (n·Ĝ(k/M) + k/M) / (n + 1), Ĝ the empirical CDF of the PITs: one extra pseudo-PIT spread
/// uniformly keeps R strictly increasing (so invertible) and pulls it toward the identity when n is
/// small. InvalidArgument on an empty input, bad intervals (see pit_interval_coverage) or grid < 2.
PitCalibration fit_pit_calibration(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, int grid = 200);

}  // namespace matopt
