// SPDX-License-Identifier: MIT
/// @file
/// @brief Train/test splits for out-of-distribution evaluation (`matopt evaluate`, docs/evaluate.md):
/// random K-fold, leave-one-cluster-out (k-means on standardized Magpie features, Meredig et al.
/// 2018), leave-one-element-out, leave-one-group-out on a column, and forward chaining on an ordered
/// column. Every split is a pure function of the data and the seed.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "matopt/core/dataset.hpp"

namespace matopt {

enum class SplitKind { Random, Cluster, Element, Group, Time };

/// @brief What `--split` names, with its options.
struct SplitSpec {
  SplitKind kind = SplitKind::Random;
  std::string column;  ///< Group and Time: the column (a process column of the dataset)
  /// Random and Cluster: number of folds (clusters). Time: number of forward steps (the ordered rows
  /// are cut into folds + 1 blocks; step j trains on blocks 1..j and tests on block j + 1).
  int folds = 5;
  /// Element: an element is held out when at least this many rows contain it and at least this many
  /// rows remain to train on. 0 = the default, max(10, 5 % of the rows).
  std::size_t min_rows = 0;
  std::uint64_t seed = 0;
  /// @brief "random", "loco", "element", "group:COL" or "time:COL".
  std::string text() const;
};

/// @brief Parses "random", "loco", "element", "group:COL" or "time:COL". Throws InvalidArgument
/// listing the forms.
SplitSpec parse_split(std::string_view text);

/// @brief One train/test split of the rows (0-based indices, ascending).
struct DataSplit {
  std::string label;  ///< "fold 2", "cluster 3", "Fe", the group's value, "lab year in [2019, 2020]"
  std::vector<std::size_t> train, test;
};

/// @brief The splits of `data` for `spec`, plus one line per element or group that was not held
/// out and why (`skipped`, for the caller to print). Throws DataError for a missing or empty cell in
/// the group/time column (naming the row as a spreadsheet shows it, header = row 1) or when the spec
/// gives fewer than one split (e.g. one group only, no element frequent enough); InvalidArgument when
/// the column does not exist or `folds` is out of range.
std::vector<DataSplit> make_splits(const Dataset& data, const SplitSpec& spec, std::vector<std::string>* skipped = nullptr);

/// @brief The features `loco` clusters on and `matopt evaluate` measures the applicability domain in:
/// Magpie features of the composition (when there is one), then the process columns. InvalidArgument
/// when there are neither.
Eigen::MatrixXd split_features(const Dataset& data);

/// @brief k-means (Lloyd) of the rows of X after standardizing each column (constant columns
/// dropped), k-means++ seeding from `seed`, until no assignment changes (at most 300 iterations). A
/// cluster that empties is re-seeded with the row farthest from its centre. Returns the cluster of
/// each row, 0..k-1, numbered by their smallest row index (so cluster 0 holds row 0).
std::vector<int> kmeans_clusters(const Eigen::MatrixXd& X, int k, std::uint64_t seed);

}  // namespace matopt
