// SPDX-License-Identifier: MIT
/// @file
/// @brief Random-forest regression (Eigen only): bootstrapped, fully grown variance-reduction trees
/// with per-split feature subsampling (Breiman 2001); with split = "best", split on at most 256 bins
/// per input column (exact CART splits for columns with no more distinct values than bins).
/// The predictive distribution follows the law of total variance over the trees (Hutter et al. 2014):
/// epistemic variance = variance of the trees' predictions, aleatoric = mean within-leaf variance.
/// On a 0/1 label the mean is the classification forest's P(y = 1) (variance reduction on 0/1
/// labels is Gini impurity reduction). With split = "random" it is an extremely randomized trees
/// ensemble (Geurts et al. 2006) instead.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>

#include "matopt/models/surrogate.hpp"
#include "matopt/models/tree_shap.hpp"

namespace matopt {

/// @brief Random-forest options (JSON keys have the same names; see docs/models.md).
struct ForestOptions {
  int trees = 300;
  /// Columns tried at each split, as a fraction of the input columns (at least 1 column; Breiman's
  /// regression default is 1/3). Columns constant within a node do not count towards it.
  double max_features = 1.0 / 3.0;
  /// Smallest number of training rows (bootstrap copies included) in a leaf.
  int min_samples_leaf = 1;
  /// Deepest level of a tree (root = 0); 0 = unlimited.
  int max_depth = 0;
  /// Each column is cut into at most this many bins before training (2 to 256), the cuts evenly
  /// spaced among its distinct values; columns with no more distinct values keep one bin per value,
  /// so their splits are exact. Unused with split = "random".
  int max_bins = 256;
  /// Each tree is trained on a bootstrap sample of the rows (false: on every row).
  bool bootstrap = true;
  /// How a split point is chosen on each column tried: "best" (CART: the best cut among the bins)
  /// or "random" (extremely randomized trees, Geurts et al. 2006: one threshold drawn uniformly
  /// between the node's smallest and largest value of the column; the best of those columns wins).
  /// Random splits need no bins and give smoother means and uncertainties; they are usually paired
  /// with bootstrap = false and max_features = 1. A random cut that would leave fewer than
  /// min_samples_leaf rows on a side is not redrawn (as in scikit-learn), so min_samples_leaf > 1
  /// also stops some nodes early.
  std::string split = "best";
  /// Share of the trees' predictions dropped from each end before they are averaged into the
  /// predictive mean: floor(trim x trees) of the lowest and as many of the highest, leaving at least
  /// one (a trimmed mean; 0 = the plain mean, just under 0.5 = the median). A robust location for
  /// heavy-tailed regression targets, where one tree's leaf can hold an outlying training target.
  /// On a 0/1 label it sharpens the trees' votes, so the mean is no longer the class frequency.
  /// Must be in [0, 0.5).
  double trim = 0.0;
  /// Threads over trees; 0 = hardware concurrency. Results do not depend on it.
  int threads = 0;

  /// @brief Parses JSON text (empty = defaults); unknown keys throw InvalidArgument listing valid ones.
  static ForestOptions from_json(const std::string& json);
  std::string to_json() const;
  /// @brief Throws InvalidArgument naming the first invalid field.
  void validate() const;
};

class RandomForest final : public Surrogate {
 public:
  explicit RandomForest(ForestOptions options = {}, std::uint64_t seed = 0);
  ~RandomForest() override;
  RandomForest(const RandomForest&);
  RandomForest& operator=(const RandomForest&);

  std::string kind() const override { return "forest"; }
  /// Known noise variances are not used by the trees (logged once at debug level).
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
           const Eigen::VectorXd& noise_variance = Eigen::VectorXd()) override;
  Prediction predict(const Eigen::MatrixXd& X) const override;
  /// Joint Gaussian samples with the trees' mean and covariance at the rows of X (the covariance of
  /// the T tree predictions, so the marginal variance is the epistemic variance), reproducible from
  /// `seed`. Unlike draws of whole trees they can go beyond the training targets, which is what
  /// improvement-based acquisitions need.
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override;
  void save(Archive& out) const override;
  void load(const Archive& in) override;
  bool is_fitted() const noexcept override;
  std::unique_ptr<Surrogate> clone() const override;

  const ForestOptions& options() const noexcept { return options_; }
  /// @brief Per-tree predictions at the rows of X: an (n_trees x n) matrix.
  Eigen::MatrixXd tree_predictions(const Eigen::MatrixXd& X) const;
  /// @brief Total variance reduction of the splits on each input column, summed over the trees and
  /// normalized to sum 1 (impurity importance); all zeros when no tree split.
  Eigen::VectorXd feature_importance() const;
  /// @brief Exact interventional Shapley values of the predictive mean at the rows of X against the
  /// rows of `background` (models/tree_shap.hpp). Throws InvalidArgument for a trimmed mean (trim > 0).
  ShapValues shap_values(const Eigen::MatrixXd& X, const Eigen::MatrixXd& background) const;

 private:
  struct State;
  /// Throws unless fitted and X has the training column count and finite values.
  void check_input(const Eigen::MatrixXd& X, const char* what) const;
  ForestOptions options_;
  std::uint64_t seed_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace matopt
