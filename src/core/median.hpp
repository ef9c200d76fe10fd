// SPDX-License-Identifier: MIT
// Internal: the median of a sample, shared by boosting's leaf values and the combination of runs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace matopt::detail {

// Median of v (the mean of the two middle values for an even count); reorders v. v must not be empty.
inline double median_in_place(std::vector<double>& v) {
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
  const double upper = v[h];
  if (v.size() % 2 == 1) return upper;
  return 0.5 * (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h)) + upper);
}

}  // namespace matopt::detail
