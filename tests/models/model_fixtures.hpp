// SPDX-License-Identifier: MIT
// Data shared by the surrogate tests (test_models).
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <cstdint>

#include "matopt/core/rng.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt::test {

// n rows of x0 ~ U(0, 6), x1 ~ U(0, 1) and y = sin(x0) + 0.5·x1 + noise_sd·N(0, 1), from `seed`.
inline void noisy_sine(int n, std::uint64_t seed, Eigen::MatrixXd& X, Eigen::VectorXd& y, double noise_sd) {
  Rng rng(seed);
  X.resize(n, 2);
  y.resize(n);
  for (int i = 0; i < n; ++i) {
    X(i, 0) = 6.0 * uniform01(rng);
    X(i, 1) = uniform01(rng);
    y[i] = std::sin(X(i, 0)) + 0.5 * X(i, 1) + noise_sd * standard_normal(rng);
  }
}

// n_train noisy training rows of the sine (seed `seed`, noise_sd 0.2 unless given) and n_test
// noise-free test rows (seed + 1).
struct SineSplit {
  Eigen::MatrixXd X, Xt;
  Eigen::VectorXd y, yt;
};
inline SineSplit sine_split(int n_train, int n_test, std::uint64_t seed = 1, double noise_sd = 0.2) {
  SineSplit d;
  noisy_sine(n_train, seed, d.X, d.y, noise_sd);
  noisy_sine(n_test, seed + 1, d.Xt, d.yt, 0.0);
  return d;
}

// Bit-for-bit equality (sizes included), for determinism and round-trip checks.
inline bool same(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() && (a.array() == b.array()).all();
}
inline bool same(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
}
inline bool same_prediction(const Prediction& a, const Prediction& b) {
  return same(a.mean, b.mean) && same(a.variance, b.variance) && same(a.epistemic_variance, b.epistemic_variance) &&
         same(a.aleatoric_variance, b.aleatoric_variance);
}

}  // namespace matopt::test
