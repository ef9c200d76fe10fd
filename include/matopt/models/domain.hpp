// SPDX-License-Identifier: MIT
/// @file
/// @brief Applicability domain: how far a row is from the training rows, in units of the training
/// rows' own spacing, and whether that is farther than cross-validation rows were (docs/evaluate.md).
///
/// score(x) = d₁(x) / s, where d₁ is the Euclidean distance from x to its nearest training row in
/// the standardized feature space (each column scaled by the training rows' mean and standard
/// deviation; constant columns dropped) and s is the median over training rows of the distance to
/// their nearest *other* training row. A training row scores 0; the score grows with distance.
/// The threshold is calibrated on K-fold splits of the training rows: each held-out row is scored
/// against the other folds' rows, and the threshold is the `coverage` quantile of those scores, so
/// "outside" means "farther from the data than (1 − coverage) of cross-validation rows were".
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>

namespace matopt {

class Archive;

struct DomainOptions {
  int folds = 5;          ///< K of the calibration splits
  double coverage = 0.95; ///< quantile of the cross-validation scores that becomes the threshold
  std::uint64_t seed = 0;
  /// Training rows kept (a seeded sample when there are more), which bounds the memory (rows x
  /// features doubles) and the cost of a score (one distance per kept row). A row left out of the
  /// sample no longer scores exactly 0.
  std::size_t max_rows = 5000;
};

class ApplicabilityDomain {
 public:
  /// @brief Stores the standardized training rows (at most options.max_rows) and calibrates the threshold. Throws
  /// InvalidArgument with fewer than 2 rows or on non-finite features.
  void fit(const Eigen::MatrixXd& X, const DomainOptions& options = {});
  /// @brief Score of each row of X (same columns as fit's X).
  Eigen::VectorXd score(const Eigen::MatrixXd& X) const;
  /// @brief Scores above this are outside the domain.
  double threshold() const noexcept { return threshold_; }
  bool is_fitted() const noexcept { return train_.rows() > 0; }
  void save(Archive& out) const;
  void load(const Archive& in);

 private:
  Eigen::MatrixXd train_;           ///< standardized training rows (kept columns only)
  Eigen::VectorXd mean_, inv_sd_;   ///< per original column; inv_sd_ = 0 drops a column
  double spacing_ = 1.0;            ///< s
  double threshold_ = 0.0;
  Eigen::MatrixXd standardize(const Eigen::MatrixXd& X) const;
};

/// @brief Distance from each row of Q to its nearest row of R (rows skipped where `exclude_self`
/// and Q = R share the index). Brute force, O(|Q|·|R|·d).
Eigen::VectorXd nearest_distances(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, bool exclude_self = false);

}  // namespace matopt
