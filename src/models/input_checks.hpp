// SPDX-License-Identifier: MIT
// Private: checks of the matrices handed to a surrogate, shared by the models so that every one
// names a bad entry the same way.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <sstream>
#include <string>

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

}  // namespace matopt::detail
