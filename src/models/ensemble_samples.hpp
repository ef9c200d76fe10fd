// SPDX-License-Identifier: MIT
// Private: Gaussian joint samples from an ensemble's predictions, shared by the tree models.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <cstdint>

#include "matopt/core/rng.hpp"

namespace matopt::detail {

/// Zero-mean Gaussian draws with the covariance of the members' predictions P (members x points):
/// row s is Σ_k z_k (P_k − mean) / √M with z ~ N(0, I) drawn from Rng(seed). Unlike draws of whole
/// members they can go beyond every member's prediction, which improvement-based acquisitions need.
inline Eigen::MatrixXd ensemble_deviation_samples(const Eigen::MatrixXd& P, int n_samples, std::uint64_t seed) {
  const Eigen::RowVectorXd mean = P.colwise().mean();
  const Eigen::MatrixXd D = (P.rowwise() - mean) / std::sqrt(static_cast<double>(P.rows()));
  Rng rng(seed);
  Eigen::MatrixXd Z(n_samples, P.rows());
  for (Eigen::Index s = 0; s < Z.rows(); ++s)
    for (Eigen::Index t = 0; t < Z.cols(); ++t) Z(s, t) = standard_normal(rng);
  return Z * D;
}

}  // namespace matopt::detail
