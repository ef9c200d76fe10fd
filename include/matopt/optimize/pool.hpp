// SPDX-License-Identifier: MIT
/// @file
/// @brief Streams a candidate pool file (CSV or matopt HDF5 dataset) as design points in chunks.
///
/// Pool CSV columns: either a composition column (formulas, name `composition.column`, default
/// "composition") or one column per element symbol holding fractions; plus one column per process
/// parameter (categoricals by label). Other columns are ignored. Rows that violate the space are
/// skipped and counted.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "matopt/optimize/design_space.hpp"

namespace matopt {

struct PoolStats {
  std::size_t rows_read = 0;
  std::size_t rows_kept = 0;
  std::size_t rows_rejected = 0;
  std::string first_rejection;  ///< "row R: reason" of the first skipped row, for explanations
};

/// @brief Calls `on_chunk(points, rows)` with up to `chunk_rows` feasible pool points at a time
/// (rows = 1-based data-row numbers in the file, header excluded). CSV files are streamed in bounded
/// memory; HDF5 datasets are read whole and then chunked. Throws DataError naming the file, row and
/// column for unreadable cells, and InvalidArgument when no row is feasible ("empty pool after
/// filtering", with the first reason).
PoolStats for_each_pool_chunk(const DesignSpace& space, const std::filesystem::path& file, std::size_t chunk_rows,
                              const std::function<void(const Eigen::MatrixXd& points,
                                                       const std::vector<std::size_t>& rows)>& on_chunk);

/// @brief n distinct pool rows chosen uniformly at random (reservoir sampling, bounded memory; same file
/// + n + seed gives the same rows), returned in file order; `rows` receives their 1-based data-row
/// numbers when given. Fewer than n rows come back when the pool holds fewer feasible rows.
Eigen::MatrixXd sample_pool_points(const DesignSpace& space, int n, std::uint64_t seed,
                                   std::vector<std::size_t>* rows = nullptr);

/// @brief Writes design points as a pool CSV (composition formula column + process columns),
/// atomically. Used by benchmarks and tests.
void write_pool_csv(const DesignSpace& space, const Eigen::MatrixXd& points, const std::filesystem::path& file);

}  // namespace matopt
