// SPDX-License-Identifier: MIT
// Test double: a PosteriorModel whose outputs are known functions of the model inputs with a fixed
// standard deviation, so the best candidates are known in advance.
#pragma once

#include <Eigen/Core>

#include <functional>
#include <utility>
#include <vector>

#include "matopt/acquisition/batch.hpp"
#include "matopt/core/rng.hpp"

namespace matopt::test {

class FunctionPosterior final : public PosteriorModel {
 public:
  using Fn = std::function<double(const Eigen::VectorXd&)>;
  FunctionPosterior(std::vector<Fn> outputs, double sd) : fns_(std::move(outputs)), sd_(sd) {}
  int num_outputs() const override { return static_cast<int>(fns_.size()); }
  std::vector<Prediction> predict(const Eigen::MatrixXd& X) const override {
    std::vector<Prediction> out;
    for (const auto& f : fns_) {
      Prediction p;
      p.mean.resize(X.rows());
      for (Eigen::Index r = 0; r < X.rows(); ++r) p.mean[r] = f(X.row(r).transpose());
      p.epistemic_variance = Eigen::VectorXd::Constant(X.rows(), sd_ * sd_);
      p.aleatoric_variance = Eigen::VectorXd::Zero(X.rows());
      p.variance = p.epistemic_variance;
      out.push_back(std::move(p));
    }
    return out;
  }
  std::vector<Eigen::MatrixXd> sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override {
    auto pred = predict(X);
    std::vector<Eigen::MatrixXd> out;
    for (std::size_t k = 0; k < fns_.size(); ++k) {
      Rng rng(derive_seed(seed, k));
      Eigen::MatrixXd s(n_samples, X.rows());
      for (int i = 0; i < n_samples; ++i)
        for (Eigen::Index r = 0; r < X.rows(); ++r) s(i, r) = pred[k].mean[r] + sd_ * standard_normal(rng);
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  std::vector<Fn> fns_;
  double sd_;
};

}  // namespace matopt::test
