// SPDX-License-Identifier: MIT
/// @file
/// @brief Every point of a design space's granularity grid, by index: counting, ranking and
/// unranking without enumerating the points before it (docs/screen.md).
///
/// The composition part is every vector of element fractions that are multiples of the space's
/// granularity, within each element's bounds, summing to 1, with at most max_components non-zero
/// fractions and every required element present. They are ordered lexicographically by the
/// fractions in the order of `composition.elements`, the smallest first. Process parameters take
/// the values of a stated grid (ProcessGrid), the last parameter varying fastest; the grid index of
/// a point is composition_rank * process_combinations + process_rank.
///
/// Linear and descriptor constraints are not part of the count: `is_feasible()` tests them per
/// point, and `exact()` says whether every grid point is feasible without that test.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "matopt/optimize/design_space.hpp"

namespace matopt {

/// Counts of grid points (up to ~3.4e38: larger grids are refused at construction).
__extension__ typedef unsigned __int128 GridCount;

/// @brief Decimal text of a count.
std::string to_string_count(GridCount count);

/// @brief The values each process parameter takes on the grid, in the order of the space's
/// parameters (natural units; categoricals as category indices). Every value must lie in the
/// parameter's domain.
struct ProcessGrid {
  std::vector<std::vector<double>> values;
};

/// @brief The values a process parameter takes on the grid when none are stated: every category,
/// or every integer (at most 1000 of them). Throws InvalidArgument naming a continuous parameter
/// (or a wide integer one), which needs stated values.
std::vector<double> default_grid_values(const ProcessParameter& parameter);

/// @brief default_grid_values() of every process parameter of `space`.
ProcessGrid default_process_grid(const DesignSpace& space);

class DesignGrid {
 public:
  /// @brief Throws InvalidArgument when the space has a candidate pool, a composition block without
  /// a granularity, a process grid that does not match the parameters (one list per parameter, each
  /// non-empty, every value in the domain), or more points than GridCount holds.
  DesignGrid(const DesignSpace& space, ProcessGrid process = {});

  const DesignSpace& space() const noexcept { return *space_; }
  /// Grid points satisfying bounds, granularity, cardinality and required elements (exact count).
  GridCount size() const noexcept { return compositions_ * combinations_; }
  GridCount compositions() const noexcept { return compositions_; }
  std::uint64_t process_combinations() const noexcept { return combinations_; }
  /// @brief True when the space has no linear or descriptor constraint: every grid point is then
  /// feasible and size() is the number of feasible points.
  bool exact() const noexcept { return exact_; }
  /// @brief size() as an index bound; throws InvalidArgument when it exceeds 2^64 - 1 (such a grid
  /// can be counted but not enumerated).
  std::uint64_t index_end() const;

  /// @brief The design point of grid index `index` < size(), written to `point` (dimension()
  /// values). Throws InvalidArgument for an index out of range.
  void unrank(std::uint64_t index, std::span<double> point) const;
  /// @brief The index of a grid point (the inverse of unrank). Throws InvalidArgument naming the
  /// coordinate when `point` is not on the grid.
  std::uint64_t rank(std::span<const double> point) const;
  /// @brief Moves `point` to the next grid index (cheaper than unrank(index + 1)); false after the
  /// last.
  bool next(std::span<double> point) const;
  /// @brief Linear and descriptor constraints (the rest hold for every grid point). No allocation.
  bool is_feasible(std::span<const double> point) const;

  /// Eigen forms of the same (unrank resizes `point`).
  void unrank(std::uint64_t index, Eigen::VectorXd& point) const {
    point.resize(space_->dimension());
    unrank(index, std::span<double>(point.data(), static_cast<std::size_t>(point.size())));
  }
  std::uint64_t rank(const Eigen::VectorXd& point) const {
    return rank(std::span<const double>(point.data(), static_cast<std::size_t>(point.size())));
  }
  bool next(Eigen::VectorXd& point) const {
    return next(std::span<double>(point.data(), static_cast<std::size_t>(point.size())));
  }
  bool is_feasible(const Eigen::VectorXd& point) const {
    return is_feasible(std::span<const double>(point.data(), static_cast<std::size_t>(point.size())));
  }

 private:
  const DesignSpace* space_;
  ProcessGrid process_;
  int n_ = 0, units_ = 0, max_k_ = 0;
  std::vector<int> lo_, hi_;          // per element: smallest non-zero units, largest units
  std::vector<std::uint8_t> zero_ok_;  // per element: may be absent
  // ways_[(i * (units_ + 1) + u) * (max_k_ + 1) + k]: completions of elements i..n-1 with u units
  // and at most k non-zero fractions.
  std::vector<GridCount> ways_;
  GridCount compositions_ = 0;
  std::uint64_t combinations_ = 1;
  bool exact_ = true;
  std::vector<std::vector<std::pair<int, double>>> linear_;

  GridCount ways(int i, int u, int k) const noexcept {
    return ways_[(static_cast<std::size_t>(i) * (units_ + 1) + u) * (max_k_ + 1) + k];
  }
  void build_counts();
  void check_process_grid();
  int units_of(double fraction, int element) const;
  void smallest_completion(int from, int units, int k, std::span<double> point) const;
  void unrank_composition(GridCount r, std::span<double> point) const;
  bool next_composition(std::span<double> point) const;
};

/// @brief Throws InvalidArgument when the grid has more than `max_points` points, with the count and
/// a pointer to `matopt screen`, which ranks any grid in bounded memory.
void check_grid_fits(const DesignGrid& grid, std::uint64_t max_points);

/// @brief Every feasible grid point as a row (for scoring the whole grid as a candidate pool).
/// Throws as check_grid_fits() does.
Eigen::MatrixXd feasible_grid_points(const DesignGrid& grid, std::uint64_t max_points);

}  // namespace matopt
