// SPDX-License-Identifier: MIT
/// @file
/// @brief The hypervolume reference point every campaign path uses (proposals, status, report,
/// bench): each objective's stated threshold, else inferred from the Pareto front of the
/// measurements (Ax/BoTorch's rule: nadir of the front minus 10 % of the front's range).
#pragma once

#include <Eigen/Core>

#include <string>
#include <vector>

#include "matopt/acquisition/batch.hpp"

namespace matopt {

/// @brief Reference point inferred from maximized values Y (rows; rows with NaN ignored): the nadir
/// of the non-dominated rows minus `margin` times the front's range per column (a column with zero
/// range, e.g. a single front point, uses margin * |nadir|, or margin when the nadir is 0).
/// Throws InvalidArgument when no row is complete.
Eigen::VectorXd front_reference_point(const Eigen::MatrixXd& Y, double margin = 0.1);

/// @brief A reference point and where each coordinate came from.
struct ReferencePoint {
  Eigen::VectorXd value;             ///< maximization orientation (empty when it cannot be set)
  std::vector<std::string> source;   ///< per objective: "threshold" or "front"
  /// @brief The point in original units (minimize objectives negated back; target goals stay
  /// distances, i.e. -|y - target|).
  Eigen::VectorXd original_units(const std::vector<Objective>& objectives) const;
  /// @brief "threshold" when every coordinate is stated, "front" when none is, else "mixed".
  std::string summary() const;
};

/// @brief The reference point for `objectives` given measured outputs (n x num_outputs, original
/// units, NaN = not measured): the stated Objective::threshold where there is one, the
/// front_reference_point of the complete rows elsewhere. `value` is empty when a coordinate has no
/// threshold and no row has every objective measured.
ReferencePoint objective_reference_point(const std::vector<Objective>& objectives, const Eigen::MatrixXd& outputs);

}  // namespace matopt
