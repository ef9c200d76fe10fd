// SPDX-License-Identifier: MIT
// A posterior with known marginals for acquisition tests: a row x of the input matrix encodes the
// posterior of K outputs directly, mean_k = x[k], sd_k = x[K + k]; rows are independent Gaussians.
#pragma once

#include "matopt/acquisition/batch.hpp"
#include "matopt/core/rng.hpp"

namespace matopt_test {

class ToyPosterior final : public matopt::PosteriorModel {
 public:
  explicit ToyPosterior(int outputs) : k_(outputs) {}
  int num_outputs() const override { return k_; }
  std::vector<matopt::Prediction> predict(const Eigen::MatrixXd& X) const override {
    std::vector<matopt::Prediction> out(static_cast<std::size_t>(k_));
    for (int k = 0; k < k_; ++k) {
      auto& p = out[static_cast<std::size_t>(k)];
      p.mean = X.col(k);
      p.variance = X.col(k_ + k).array().square().matrix();
      p.epistemic_variance = p.variance;
      p.aleatoric_variance = Eigen::VectorXd::Zero(X.rows());
    }
    return out;
  }
  std::vector<Eigen::MatrixXd> sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override {
    std::vector<Eigen::MatrixXd> out;
    for (int k = 0; k < k_; ++k) {
      matopt::Rng rng(matopt::derive_seed(seed, static_cast<std::uint64_t>(k)));
      Eigen::MatrixXd s(n_samples, X.rows());
      for (int w = 0; w < n_samples; ++w)
        for (Eigen::Index i = 0; i < X.rows(); ++i) s(w, i) = X(i, k) + X(i, k_ + k) * matopt::standard_normal(rng);
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  int k_;
};

/// Rows [means..., sds...] for a ToyPosterior.
inline Eigen::MatrixXd toy_rows(std::initializer_list<std::initializer_list<double>> rows) {
  Eigen::MatrixXd X(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& r : rows) {
    Eigen::Index j = 0;
    for (double v : r) X(i, j++) = v;
    ++i;
  }
  return X;
}

}  // namespace matopt_test
