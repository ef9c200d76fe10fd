// SPDX-License-Identifier: MIT
/// @file
/// @brief Space-filling sampling of a DesignSpace: scrambled Sobol points mapped onto the constrained
/// simplex (exponential spacings -> uniform simplex, support selection for cardinality, bound repair,
/// largest-remainder granularity rounding), process parameters, and rejection of linear-constraint
/// violations with a bounded budget. Every returned point passes DesignSpace::validate().
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <vector>

#include "matopt/optimize/design_space.hpp"

namespace matopt {

/// @brief Sobol low-discrepancy sequence (dimensions 1..kMaxDimension), optionally scrambled with a
/// seeded random digital shift (seed 0 = the plain sequence, whose first point is the origin).
class SobolSequence {
 public:
  static constexpr int kMaxDimension = 32;
  SobolSequence(int dimension, std::uint64_t seed);
  int dimension() const noexcept { return dim_; }
  /// @brief Writes the next point (each coordinate in [0, 1)) to out[0..dimension-1].
  void next(double* out);
  /// @brief The next n points as rows.
  Eigen::MatrixXd draw(int n);

 private:
  int dim_;
  std::uint64_t index_ = 0;
  std::vector<std::uint32_t> directions_;  // dim x 32
  std::vector<std::uint32_t> state_, shift_;
};

enum class SampleMethod {
  Sobol,   ///< scrambled Sobol (space-filling)
  Random,  ///< independent uniform draws (the random-search baseline)
};

struct SampleOptions {
  SampleMethod method = SampleMethod::Sobol;
  /// Raw draws allowed per requested point before giving up with an explanation (linear constraints
  /// are handled by rejection).
  int attempts_per_point = 200;
};

/// @brief n feasible design points (rows). Same space + n + seed gives identical points. Throws
/// InvalidArgument when the budget is exhausted (explaining which constraint rejected the draws), or
/// when the space is a pool (sample the pool file instead).
Eigen::MatrixXd sample_design_points(const DesignSpace& space, int n, std::uint64_t seed,
                                     const SampleOptions& options = {});

/// @brief Maps one vector of uniforms (size space.dimension() + 1; the extra one picks the number of
/// components) to a point that satisfies everything except linear constraints. Exposed for tests.
Eigen::VectorXd map_uniform_to_point(const DesignSpace& space, const double* uniforms);

/// @brief Projects fractions onto {sum = 1, lo <= x <= hi} by iterative clipping and proportional
/// renormalization of the free entries. Returns false when sum(lo) > 1 or sum(hi) < 1.
bool repair_fractions(Eigen::Ref<Eigen::VectorXd> x, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi);

/// @brief Rounds fractions (summing to 1) to multiples of 1/units_total, preserving the total exactly
/// (largest-remainder method) and keeping each entry within [lo_units, hi_units]. Returns false when no
/// such rounding exists.
bool round_to_grid(Eigen::Ref<Eigen::VectorXd> x, int units_total, const std::vector<int>& lo_units,
                   const std::vector<int>& hi_units);

}  // namespace matopt
