// SPDX-License-Identifier: MIT
// Private: checks of the matrices handed to a surrogate, shared by the models so that every one
// names a bad entry the same way.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"

namespace matopt::detail {

/// A value for a message, with 4 significant digits ("nan", "inf" as the stream writes them).
inline std::string format_number(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

/// Throws DataError "<what>: row i, column j is <value> (expected a finite number)", 1-based, for the
/// first non-finite entry in column order.
inline void check_finite_matrix(const Eigen::MatrixXd& X, const char* what) {
  for (Eigen::Index j = 0; j < X.cols(); ++j)
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      if (!std::isfinite(X(i, j)))
        throw DataError(std::string(what) + ": row " + std::to_string(i + 1) + ", column " + std::to_string(j + 1) +
                        " is " + format_number(X(i, j)) + " (expected a finite number)");
}

/// The training data of a tree model: at least one row and one column, as many targets as rows, at
/// most 2^30 rows (node indices are int32 and a tree has fewer than 2n nodes), all finite. `what`
/// starts every message (e.g. "forest fit").
inline void check_tree_training_data(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::string& what) {
  const Eigen::Index n = X.rows();
  if (n == 0) throw DataError(what + ": no training rows (expected at least 1)");
  if (y.size() != n)
    throw DataError(what + ": X has " + std::to_string(n) + " rows but y has " + std::to_string(y.size()) + " values");
  if (X.cols() == 0) throw DataError(what + ": X has no columns (expected at least 1)");
  if (n > (Eigen::Index{1} << 30))
    throw InvalidArgument(what + ": " + std::to_string(n) + " rows exceed the limit of 2^30");
  check_finite_matrix(X, (what + ": X").c_str());
  for (Eigen::Index i = 0; i < n; ++i)
    if (!std::isfinite(y[i]))
      throw DataError(what + ": y row " + std::to_string(i + 1) + " is " + format_number(y[i]) +
                      " (expected a finite number)");
}

/// Rows to predict at: the model is fitted, X has its `input_dim` columns, all finite.
inline void check_prediction_input(bool fitted, Eigen::Index input_dim, const Eigen::MatrixXd& X, const std::string& what) {
  if (!fitted) throw InvalidArgument(what + ": the model is not fitted");
  if (X.cols() != input_dim)
    throw DataError(what + ": X has " + std::to_string(X.cols()) + " columns, expected " + std::to_string(input_dim));
  check_finite_matrix(X, (what + ": X").c_str());
}

/// The tree offsets of flat node arrays read from a file: they start at 0, end at `total` nodes and
/// strictly increase (no empty tree), checked before any node is read. `what` names the model.
inline void check_tree_offsets(const std::vector<std::int64_t>& offsets, std::int64_t total, const std::string& what) {
  if (offsets.size() < 2 || offsets.front() != 0 || offsets.back() != total)
    throw IOError(what + ": the tree offsets do not span the node arrays");
  for (std::size_t t = 0; t + 1 < offsets.size(); ++t)
    if (offsets[t + 1] <= offsets[t] || offsets[t + 1] - offsets[t] > (std::int64_t{1} << 31))
      throw IOError(what + ": tree " + std::to_string(t) + " has a bad node count");
}

/// A node of a flat tree read from a file (node j of a tree of `size` nodes, column `feature`, first
/// child `left`): a split names a column below `input_dim` and has both children after itself and
/// inside the tree, so that a walk cannot loop or leave the arrays. `what` names the model and tree.
inline void check_tree_node(std::int64_t j, std::int64_t size, std::int64_t feature, std::int64_t left,
                            std::int64_t input_dim, const std::string& what) {
  if (feature >= input_dim || (feature >= 0 && (left <= j || left + 1 >= size)))
    throw IOError(what + " node " + std::to_string(j) + " has an out-of-range column or child");
}

}  // namespace matopt::detail
