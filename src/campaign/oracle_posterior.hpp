// SPDX-License-Identifier: MIT
// Private: the posterior of a campaign whose space has oracles. Learned outputs come from surrogates
// on the first `learned_inputs` columns of X; oracle-backed outputs are exact: their value is a column
// of X (the FeatureFn appends the oracle values), with a variance of (1e-9 max(1, |v|))^2 and every
// sample equal to the value.
#pragma once

#include "matopt/acquisition/batch.hpp"

#include <vector>

namespace matopt::campaign_detail {

class OraclePosterior final : public PosteriorModel {
 public:
  /// @param learned posterior over the learned outputs (may have 0 outputs; not owned)
  /// @param source per output: index into `learned`'s outputs (>= 0), or -(1 + column of X) for an
  ///        oracle-backed output
  OraclePosterior(const PosteriorModel& learned, std::vector<int> source, Eigen::Index learned_inputs);
  int num_outputs() const override { return static_cast<int>(source_.size()); }
  std::vector<Prediction> predict(const Eigen::MatrixXd& X) const override;
  std::vector<Eigen::MatrixXd> sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override;

 private:
  const PosteriorModel& learned_;
  std::vector<int> source_;
  Eigen::Index learned_inputs_;
};

}  // namespace matopt::campaign_detail
