// SPDX-License-Identifier: MIT
/// @file
/// @brief Pareto utilities in the maximization convention: objective values are first converted so
/// that larger is better in every column (see to_maximization), rows are points.
#pragma once

#include <Eigen/Core>

#include <vector>

#include "matopt/acquisition/batch.hpp"

namespace matopt {

/// @brief Converts model outputs (n x num_outputs, original units) into maximized objective values
/// (n x objectives.size()): Maximize keeps y, Minimize gives -y, Target gives -|y - target| or
/// -(distance to [target_low, target_high]). NaN stays NaN. Throws InvalidArgument when an objective
/// names a missing output column or a Target goal has neither a target nor a complete range.
Eigen::MatrixXd to_maximization(const Eigen::MatrixXd& outputs, const std::vector<Objective>& objectives);

/// @brief a dominates b: a >= b in every column and a > b in at least one.
bool dominates(const Eigen::Ref<const Eigen::VectorXd>& a, const Eigen::Ref<const Eigen::VectorXd>& b) noexcept;

/// @brief Rows of Y not dominated by any other row, in increasing row order. Rows containing NaN are
/// ignored; of several identical non-dominated rows only the first is kept.
std::vector<Eigen::Index> nondominated_indices(const Eigen::MatrixXd& Y);

/// @brief The non-dominated rows of Y (see nondominated_indices) as a matrix.
Eigen::MatrixXd pareto_front(const Eigen::MatrixXd& Y);

/// @brief Non-dominated sorting: rank 0 = Pareto front, rank 1 = front of the rest, ...; rows with
/// NaN get rank -1. Identical rows share a rank.
std::vector<int> pareto_ranks(const Eigen::MatrixXd& Y);

/// @brief Reference point derived from maximized observations: column minimum (nadir) minus 10 % of
/// the column range (or of max(|nadir|, 1) when the range is 0). Rows with NaN are ignored; throws
/// InvalidArgument when no complete row exists.
Eigen::VectorXd default_reference_point(const Eigen::MatrixXd& Y);

}  // namespace matopt
