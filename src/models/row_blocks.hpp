// SPDX-License-Identifier: MIT
// Private: per-row prediction work spread over threads, shared by the tree models.
#pragma once

#include <Eigen/Core>

#include <algorithm>

#include "core/parallel.hpp"

namespace matopt::detail {

/// Rows per block of parallel prediction work: fixed, so the arithmetic does not depend on threads.
inline constexpr Eigen::Index kRowBlock = 256;

/// Calls fn(row) for every row in [0, rows) in fixed blocks of kRowBlock rows spread over the threads.
template <class Fn>
void for_each_row(Eigen::Index rows, int threads, Fn&& fn) {
  const int blocks = static_cast<int>((rows + kRowBlock - 1) / kRowBlock);
  parallel_for(blocks, threads, [&](int b) {
    const Eigen::Index r0 = static_cast<Eigen::Index>(b) * kRowBlock, r1 = std::min(rows, r0 + kRowBlock);
    for (Eigen::Index i = r0; i < r1; ++i) fn(i);
  });
}

}  // namespace matopt::detail
