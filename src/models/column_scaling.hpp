// SPDX-License-Identifier: MIT
// Private: per-column z-scores with constant columns dropped, shared by k-means (splits.cpp) and the
// applicability domain (domain.cpp), so both measure distances in the same standardized space.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <vector>

namespace matopt::detail {

struct ColumnScaling {
  Eigen::VectorXd mean, inv_sd;  ///< per column; inv_sd = 0 drops a (constant) column

  /// Mean and population standard deviation of each column of X; a column whose deviation is at
  /// most 1e-12 · max(1, |mean|) is constant and dropped.
  static ColumnScaling fit(const Eigen::MatrixXd& X) {
    ColumnScaling s;
    s.mean = X.colwise().mean().transpose();
    s.inv_sd.resize(X.cols());
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const double sd = std::sqrt((X.col(j).array() - s.mean[j]).square().mean());
      s.inv_sd[j] = sd > 1e-12 * std::max(1.0, std::abs(s.mean[j])) ? 1.0 / sd : 0.0;
    }
    return s;
  }

  /// The kept columns of X, standardized.
  Eigen::MatrixXd apply(const Eigen::MatrixXd& X) const {
    std::vector<Eigen::Index> keep;
    for (Eigen::Index j = 0; j < inv_sd.size(); ++j)
      if (inv_sd[j] > 0) keep.push_back(j);
    Eigen::MatrixXd Z(X.rows(), static_cast<Eigen::Index>(keep.size()));
    for (std::size_t c = 0; c < keep.size(); ++c)
      Z.col(static_cast<Eigen::Index>(c)) = (X.col(keep[c]).array() - mean[keep[c]]) * inv_sd[keep[c]];
    return Z;
  }
};

}  // namespace matopt::detail
