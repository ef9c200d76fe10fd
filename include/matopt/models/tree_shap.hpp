// SPDX-License-Identifier: MIT
/// @file
/// @brief Exact Shapley values of tree ensembles: interventional ("independent") TreeSHAP
/// (Lundberg et al. 2020, Nat. Mach. Intell. 2, 56). The value of a feature set S at a row x is the
/// mean over background rows z of f(x_S, z_rest), and each row's contributions add up to
/// f(x) − mean_z f(z) exactly. Per (x, z) pair a tree is walked once: where x and z go the same way
/// nothing is attributed, where they part the walk follows both sides, and each leaf reached with
/// features A taken from x and B from z adds its value times the Shapley weight of that game,
/// (|A|−1)!|B|!/(|A|+|B|)! to each feature of A and −|A|!(|B|−1)!/(|A|+|B|)! to each of B.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <span>

namespace matopt {

/// @brief One binary tree as flat node arrays (node 0 the root): internal node k has feature[k] >= 0,
/// children left[k] (x[feature] <= threshold) and left[k] + 1, threshold value[k]; a leaf has
/// feature[k] < 0 and its output in value[k]. Children come after their parent.
struct TreeView {
  std::span<const std::int32_t> feature, left;
  std::span<const double> value;
};

/// @brief Adds `scale` × the interventional Shapley values of `tree` at the rows of X against the
/// rows of `background` (averaged over them) into `phi` (X.rows() x X.cols()).
void add_tree_shap(const TreeView& tree, const Eigen::MatrixXd& X, const Eigen::MatrixXd& background, double scale,
                   Eigen::MatrixXd& phi);

/// @brief Shapley values of any model by enumerating all 2^d feature subsets, with the same value
/// function (mean over background rows of f(x_S, z_rest)). For tests: d must be at most 16.
Eigen::VectorXd brute_force_shapley(const std::function<double(const Eigen::VectorXd&)>& f, const Eigen::VectorXd& x,
                                    const Eigen::MatrixXd& background);

/// @brief Shapley values of a model, per row, and the expected value they are measured from.
struct ShapValues {
  Eigen::MatrixXd phi;    ///< rows x features; row sums = prediction − expected_value
  double expected_value = 0;  ///< mean prediction over the background rows
};

}  // namespace matopt
