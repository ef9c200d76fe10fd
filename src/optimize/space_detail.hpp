// SPDX-License-Identifier: MIT
// Private helpers shared by the optimize layer's translation units.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "matopt/optimize/design_space.hpp"

namespace matopt::detail {

/// Smallest allowed number of grid units of an element (required elements need at least one).
inline int lo_units(const ElementBound& e, int total) {
  int lo = static_cast<int>(std::ceil(e.min * total - 1e-9));
  return e.required ? std::max(lo, 1) : std::max(lo, 0);
}
inline int hi_units(const ElementBound& e, int total) {
  return static_cast<int>(std::floor(e.max * total + 1e-9));
}
inline int grid_units(const DesignSpace& s) {
  double g = s.spec().composition.granularity;
  return g > 0.0 ? static_cast<int>(std::lround(1.0 / g)) : 0;
}

/// Set of points keyed by coordinates rounded to a tolerance grid (for "already measured" checks).
class PointSet {
 public:
  explicit PointSet(double tolerance) : tol_(tolerance > 0 ? tolerance : 1e-12) {}
  void insert(const Eigen::VectorXd& p) { keys_.insert(key(p)); }
  bool contains(const Eigen::VectorXd& p) const { return keys_.count(key(p)) > 0; }
  std::size_t size() const { return keys_.size(); }

 private:
  std::string key(const Eigen::VectorXd& p) const {
    std::string k;
    k.reserve(static_cast<std::size_t>(p.size()) * 8);
    for (Eigen::Index i = 0; i < p.size(); ++i) {
      auto v = static_cast<std::int64_t>(std::llround(p[i] / tol_));
      k.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    return k;
  }
  double tol_;
  std::unordered_set<std::string> keys_;
};

}  // namespace matopt::detail
