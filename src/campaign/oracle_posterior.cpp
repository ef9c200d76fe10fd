// SPDX-License-Identifier: MIT
#include "campaign/oracle_posterior.hpp"

#include <algorithm>
#include <cmath>

#include "matopt/core/error.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt::campaign_detail {

OraclePosterior::OraclePosterior(const PosteriorModel& learned, std::vector<int> source, Eigen::Index learned_inputs)
    : learned_(learned), source_(std::move(source)), learned_inputs_(learned_inputs) {
  for (int s : source_)
    if (s >= learned_.num_outputs()) throw Error("OraclePosterior: internal error: output source out of range");
}

namespace {

Prediction exact(const Eigen::VectorXd& v) {
  Prediction p;
  p.mean = v;
  p.variance = v.unaryExpr([](double x) {
    const double s = 1e-9 * std::max(1.0, std::abs(x));
    return s * s;
  });
  p.epistemic_variance = p.variance;
  p.aleatoric_variance = Eigen::VectorXd::Zero(v.size());
  return p;
}

}  // namespace

std::vector<Prediction> OraclePosterior::predict(const Eigen::MatrixXd& X) const {
  std::vector<Prediction> learned;
  if (learned_.num_outputs() > 0) learned = learned_.predict(X.leftCols(learned_inputs_));
  std::vector<Prediction> out;
  for (int s : source_) out.push_back(s >= 0 ? learned[static_cast<std::size_t>(s)] : exact(X.col(-s - 1)));
  return out;
}

std::vector<Eigen::MatrixXd> OraclePosterior::sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const {
  std::vector<Eigen::MatrixXd> learned;
  if (learned_.num_outputs() > 0) learned = learned_.sample_joint(X.leftCols(learned_inputs_), n_samples, seed);
  std::vector<Eigen::MatrixXd> out;
  for (int s : source_) {
    if (s >= 0) out.push_back(learned[static_cast<std::size_t>(s)]);
    else out.push_back(X.col(-s - 1).transpose().replicate(n_samples, 1));
  }
  return out;
}

}  // namespace matopt::campaign_detail
