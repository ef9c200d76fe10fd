// SPDX-License-Identifier: MIT
// Private: quantile binning of the input columns, shared by the tree models (random forest, gradient
// boosting). A bin index is one byte, so a node's split search is a histogram over at most 256 bins.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace matopt::detail {

/// Column-major bin indices of the training rows and each column's cut points: a value x is in bin
/// b = #{cuts < x}, so "x <= cuts[b]" is "bin <= b", at training and at prediction alike.
struct Binned {
  Eigen::Index n = 0;
  std::vector<std::uint8_t> bins;
  std::vector<std::vector<double>> cuts;
  const std::uint8_t* column(Eigen::Index col) const { return bins.data() + static_cast<std::size_t>(col * n); }
  /// Bins of column `col` in use: cuts + 1.
  int bin_count(Eigen::Index col) const { return static_cast<int>(cuts[static_cast<std::size_t>(col)].size()) + 1; }
};

/// Cuts each column of X into at most `max_bins` (2..256) bins; columns with no more distinct values
/// keep one bin per value. Parallel over columns; the result does not depend on `threads`.
Binned bin_columns(const Eigen::MatrixXd& X, int max_bins, int threads);

}  // namespace matopt::detail
