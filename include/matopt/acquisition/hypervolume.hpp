// SPDX-License-Identifier: MIT
/// @file
/// @brief Exact hypervolume (maximization convention) and expected hypervolume improvement.
///
/// The hypervolume of a point set P with respect to a reference point r is the volume of the union of
/// the boxes [r, p], p in P. Points that do not strictly exceed r in every column add nothing.
/// Algorithms: m = 1 trivially; m = 2 a sort-and-sweep, O(n log n); m = 3 a dimension sweep over the
/// third column keeping the 2-D staircase in a balanced tree, O(n log n); m >= 4 WFG (exclusive
/// contributions against limit sets, sliced on the last column down to the 3-D sweep).
#pragma once

#include <Eigen/Core>

#include <vector>

namespace matopt {

/// @brief Exact hypervolume of the rows of `points` w.r.t. `ref` (size = points.cols()).
/// Throws InvalidArgument on a size mismatch or NaN; dominated and duplicate rows are allowed.
double hypervolume(const Eigen::MatrixXd& points, const Eigen::VectorXd& ref);

/// @brief Hypervolume gained by adding `point` to `front`: HV(front U {point}) - HV(front).
double hypervolume_improvement(const Eigen::MatrixXd& front, const Eigen::VectorXd& point,
                               const Eigen::VectorXd& ref);

/// @brief The region above `ref` not dominated by a front, as disjoint boxes [lower, upper] (upper may
/// be +inf), for m = 2 or 3 objectives: (n+1)^(m-1) boxes, one per grid column of the front's
/// coordinates. The hypervolume improvement of y is sum over boxes of prod_k (min(y_k, upper_k) -
/// lower_k)^+, which is also what makes EHVI exact under independent Gaussian marginals.
class NondominatedBoxes {
 public:
  NondominatedBoxes(const Eigen::MatrixXd& front, const Eigen::VectorXd& ref);
  int num_objectives() const noexcept { return static_cast<int>(ref_.size()); }
  Eigen::Index num_boxes() const noexcept { return lower_.rows(); }
  const Eigen::MatrixXd& lower() const noexcept { return lower_; }  ///< num_boxes x m
  const Eigen::MatrixXd& upper() const noexcept { return upper_; }  ///< num_boxes x m (+inf allowed)
  /// @brief Exact hypervolume improvement of the point y.
  double improvement(const Eigen::Ref<const Eigen::VectorXd>& y) const noexcept;
  /// @brief Exact EHVI for Y ~ N(mean, diag(sd^2)) (independent objectives).
  double expected_improvement(const Eigen::Ref<const Eigen::VectorXd>& mean,
                              const Eigen::Ref<const Eigen::VectorXd>& sd) const;
  /// @brief log EHVI, computed in log space (finite where EHVI underflows); -inf when EHVI is 0.
  double log_expected_improvement(const Eigen::Ref<const Eigen::VectorXd>& mean,
                                  const Eigen::Ref<const Eigen::VectorXd>& sd) const;

 private:
  Eigen::VectorXd ref_;
  Eigen::MatrixXd lower_, upper_;
  std::vector<std::vector<double>> grid_;  // per leading column: ref, distinct coordinates, +inf
  std::vector<double> last_grid_;          // distinct lower bounds of the last column
  std::vector<int> cell_;                  // per box: grid cell per leading column, last_grid_ index
};

/// @brief Exact expected hypervolume improvement over `front` of Y ~ N(mean, diag(sd^2)), m = 2 or 3.
double expected_hypervolume_improvement(const Eigen::MatrixXd& front, const Eigen::VectorXd& ref,
                                        const Eigen::VectorXd& mean, const Eigen::VectorXd& sd);

}  // namespace matopt
