// SPDX-License-Identifier: MIT
// Internal: order statistics of a sample — the median (boosting's leaf values, the combination of runs,
// the applicability domain's spacing) and interpolated quantiles (bench bo's summaries, the domain's
// threshold).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
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

// The q-quantile (0 <= q <= 1) by linear interpolation between order statistics (numpy's default);
// NaN for an empty sample.
inline double interpolated_quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace matopt::detail
