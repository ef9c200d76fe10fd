// SPDX-License-Identifier: MIT
// TreeSHAP against brute-force Shapley values over all 2^d subsets, and local accuracy.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "matopt/models/random_forest.hpp"
#include "matopt/models/tree_shap.hpp"

using namespace matopt;

namespace {

Eigen::MatrixXd uniform(int rows, int cols, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd X(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) X(i, j) = uniform01(rng);
  return X;
}

// Feature 0 is split twice on one path (x0 <= 0.5, then x0 <= 0.25), feature 2 never.
//            0: x0 <= 0.5
//      1: x1 <= 0.3        2: x3 <= 0.7
//   3: x0 <= 0.25  4: 4.0   5: -1.0   6: 2.5
//  7: 1.0  8: 3.0
const std::vector<std::int32_t> kFeature{0, 1, 3, 0, -1, -1, -1, -1, -1};
const std::vector<std::int32_t> kLeft{1, 3, 5, 7, 0, 0, 0, 0, 0};
const std::vector<double> kValue{0.5, 0.3, 0.7, 0.25, 4.0, -1.0, 2.5, 1.0, 3.0};

double walk(const Eigen::VectorXd& x) {
  std::size_t k = 0;
  while (kFeature[k] >= 0) k = static_cast<std::size_t>(kLeft[k]) + (x[kFeature[k]] <= kValue[k] ? 0 : 1);
  return kValue[k];
}

}  // namespace

TEST_CASE("TreeSHAP of one hand-built tree equals brute-force Shapley values", "[tree_shap]") {
  const TreeView tree{kFeature, kLeft, kValue};
  const Eigen::MatrixXd X = uniform(12, 4, 1);
  const Eigen::MatrixXd Z = uniform(5, 4, 2);
  Eigen::MatrixXd phi = Eigen::MatrixXd::Zero(12, 4);
  add_tree_shap(tree, X, Z, 1.0, phi);
  double mean_z = 0;
  for (Eigen::Index j = 0; j < Z.rows(); ++j) mean_z += walk(Z.row(j).transpose()) / Z.rows();
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const Eigen::VectorXd exact = brute_force_shapley(walk, X.row(i).transpose(), Z);
    for (Eigen::Index c = 0; c < 4; ++c) CHECK(std::abs(phi(i, c) - exact[c]) <= 1e-12);
    CHECK(phi(i, 2) == 0.0);  // never split on
    CHECK(std::abs(phi.row(i).sum() - (walk(X.row(i).transpose()) - mean_z)) <= 1e-12);
  }
}

TEST_CASE("TreeSHAP by hand: one split, one background row", "[tree_shap]") {
  // f = 1 if x0 <= 0.5 else 3. x = (0.9), z = (0.1): all of f(x) − f(z) = 2 goes to feature 0.
  const std::vector<std::int32_t> feature{0, -1, -1}, left{1, 0, 0};
  const std::vector<double> value{0.5, 1.0, 3.0};
  Eigen::MatrixXd phi = Eigen::MatrixXd::Zero(1, 2);
  add_tree_shap(TreeView{feature, left, value}, Eigen::RowVector2d(0.9, 0.0), Eigen::RowVector2d(0.1, 0.0), 1.0, phi);
  CHECK(phi(0, 0) == 2.0);
  CHECK(phi(0, 1) == 0.0);
}

TEST_CASE("forest and boosting Shapley values: exact and locally accurate", "[tree_shap]") {
  const Eigen::MatrixXd X = uniform(60, 5, 3);
  Eigen::VectorXd y(60);
  for (Eigen::Index i = 0; i < 60; ++i) y[i] = 4 * X(i, 0) + X(i, 1) * X(i, 2) - 2 * X(i, 3) * X(i, 3);  // x4 is noise-free irrelevant
  const Eigen::MatrixXd Q = uniform(4, 5, 4);
  const Eigen::MatrixXd Z = X.topRows(6);

  ForestOptions fo;
  fo.trees = 15;
  RandomForest forest(fo, 7);
  forest.fit(X, y);
  BoostOptions bo;
  bo.rounds = 20;
  bo.members = 2;
  GradientBoosting boost(bo, 7);
  boost.fit(X, y);

  auto check = [&](const Surrogate& model, const ShapValues& s) {
    auto f = [&](const Eigen::VectorXd& p) { return model.predict(p.transpose()).mean[0]; };
    CHECK(s.expected_value == Approx(model.predict(Z).mean.mean()).epsilon(1e-14));
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      const Eigen::VectorXd exact = brute_force_shapley(f, Q.row(i).transpose(), Z);
      for (Eigen::Index c = 0; c < 5; ++c) CHECK(std::abs(s.phi(i, c) - exact[c]) <= 1e-12 * (1 + std::abs(exact[c])));
      CHECK(std::abs(s.phi.row(i).sum() - (f(Q.row(i).transpose()) - s.expected_value)) <= 1e-12);
    }
  };
  check(forest, forest.shap_values(Q, Z));
  check(boost, boost.shap_values(Q, Z));

  ForestOptions trimmed = fo;
  trimmed.trim = 0.2;
  RandomForest robust(trimmed, 7);
  robust.fit(X, y);
  CHECK_THROWS_AS(robust.shap_values(Q, Z), InvalidArgument);
}
