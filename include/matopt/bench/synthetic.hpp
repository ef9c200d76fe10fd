// SPDX-License-Identifier: MIT
/// @file
/// @brief Synthetic multi-objective test problems for `matopt bench bo`. All objectives are minimized;
/// inputs are design points of the problem's DesignSpace.
#pragma once

#include <Eigen/Core>

#include <functional>
#include <string>
#include <vector>

#include "matopt/optimize/design_space.hpp"

namespace matopt {

struct SyntheticProblem {
  std::string name;
  std::string description;
  DesignSpace space;  ///< box [0,1]^d (x1..xd) or, for "simplex", a constrained composition space
  int num_objectives = 2;
  /// Objective values (minimized) at one design point.
  std::function<Eigen::VectorXd(const Eigen::VectorXd&)> evaluate;
  Eigen::VectorXd ref_point;  ///< hypervolume reference point (minimization orientation)
  /// Hypervolume of the true Pareto front w.r.t. ref_point (minimization).
  double max_hypervolume = 0.0;
  std::string max_hypervolume_source;  ///< "analytic" or "dense sampling of the Pareto set"

  /// @brief Objective values of every row of X (n x num_objectives).
  Eigen::MatrixXd evaluate_all(const Eigen::MatrixXd& X) const;
};

/// @brief "branin-currin", "dtlz2" (d=6, m=2), "dtlz2-m3" (d=6, m=3), "zdt1", "zdt2", "zdt3" (d=6),
/// "simplex".
std::vector<std::string> synthetic_problem_names();
/// @brief Builds a problem by name; throws InvalidArgument listing the valid names.
SyntheticProblem make_synthetic_problem(const std::string& name);

/// @brief Hypervolume of minimized objective rows Y w.r.t. ref (minimization orientation).
double minimization_hypervolume(const Eigen::MatrixXd& Y, const Eigen::VectorXd& ref);

// The test functions themselves (x in [0,1]^d).
/// @brief Branin on the unit square (x1 -> 15 x1 - 5, x2 -> 15 x2); minimum 0.397887 at three points.
double branin_unit(double x1, double x2);
/// @brief Currin exponential function on the unit square.
double currin(double x1, double x2);
/// @brief DTLZ2 with m objectives (x.size() >= m): the front is the unit sphere's positive orthant.
Eigen::VectorXd dtlz2(const Eigen::VectorXd& x, int m);
/// @brief ZDT1, ZDT2 or ZDT3 (which = 1, 2, 3).
Eigen::VectorXd zdt(const Eigen::VectorXd& x, int which);

}  // namespace matopt
