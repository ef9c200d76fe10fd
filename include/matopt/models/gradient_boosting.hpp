// SPDX-License-Identifier: MIT
/// @file
/// @brief Gradient-boosted regression trees (Eigen only; Friedman 2001, with histogram splits and
/// leaf-wise growth as in LightGBM): each round fits a tree of at most `max_leaves` leaves to the
/// loss gradient on a random share of the rows. The squared, absolute and Huber losses are offered;
/// with the absolute loss each leaf predicts the median of its rows' residuals (Friedman's LAD
/// boosting), so the model aims at the conditional median, which is what MAE rewards.
/// Uncertainty comes from `members` boosted models that differ only in their seeds (an ensemble of
/// stochastic gradient boosting models, Malinin et al. 2021): the epistemic variance is the variance
/// of their predictions. The model has no noise term (aleatoric variance 0), so its raw σ is only the
/// members' disagreement; recalibrate it (`calibrate`, or inner CV in `bench matbench`) before use.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>

#include "matopt/models/surrogate.hpp"
#include "matopt/models/tree_shap.hpp"

namespace matopt {

/// @brief Gradient-boosting options (JSON keys have the same names; see docs/models.md).
struct BoostOptions {
  /// Boosting rounds (trees) per member.
  int rounds = 500;
  /// Shrinkage applied to every tree's leaf values.
  double learning_rate = 0.1;
  /// Leaves per tree; the leaf with the largest loss reduction is split next (leaf-wise growth).
  int max_leaves = 31;
  /// Smallest number of training rows (of the round's sample) in a leaf.
  int min_samples_leaf = 20;
  /// L2 penalty on the leaf values, in rows: a leaf of n rows shrinks its gradient step by n / (n + λ).
  double l2_regularization = 1.0;
  /// Share of the rows each round's tree is fitted on, drawn afresh every round (stochastic gradient
  /// boosting); 1 = every row.
  double subsample = 0.8;
  /// Share of the input columns each tree may split on, drawn afresh for every tree.
  double colsample = 1.0;
  /// "squared", "absolute" (leaf values are residual medians) or "huber" (squared within
  /// `huber_delta` of the current prediction, absolute beyond; Friedman's M-regression leaf values).
  std::string loss = "squared";
  /// Huber threshold in units of the training targets' standard deviation.
  double huber_delta = 1.0;
  /// Each column is cut into at most this many bins (2 to 256), as in the random forest.
  int max_bins = 256;
  /// Independently seeded boosted models averaged into the prediction; their spread is the
  /// epistemic variance (0 with one member).
  int members = 1;
  /// Threads over columns when building histograms; 0 = hardware concurrency. Results do not
  /// depend on it.
  int threads = 0;

  /// @brief Parses JSON text (empty = defaults); unknown keys throw InvalidArgument listing valid ones.
  static BoostOptions from_json(const std::string& json);
  std::string to_json() const;
  /// @brief Throws InvalidArgument naming the first invalid field.
  void validate() const;
};

class GradientBoosting final : public Surrogate {
 public:
  explicit GradientBoosting(BoostOptions options = {}, std::uint64_t seed = 0);
  ~GradientBoosting() override;
  GradientBoosting(const GradientBoosting&);
  GradientBoosting& operator=(const GradientBoosting&);
  GradientBoosting(GradientBoosting&&) noexcept;
  GradientBoosting& operator=(GradientBoosting&&) noexcept;

  std::string kind() const override { return "boost"; }
  /// Known noise variances are not used (logged once at debug level).
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
           const Eigen::VectorXd& noise_variance = Eigen::VectorXd()) override;
  /// Mean of the members; epistemic variance = their variance (population form); aleatoric = 0.
  Prediction predict(const Eigen::MatrixXd& X) const override;
  /// Joint Gaussian samples with the members' mean and covariance at the rows of X, reproducible
  /// from `seed` (every sample equals the mean when there is one member).
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override;
  void save(Archive& out) const override;
  void load(const Archive& in) override;
  bool is_fitted() const noexcept override;
  std::unique_ptr<Surrogate> clone() const override;

  const BoostOptions& options() const noexcept { return options_; }
  /// @brief Each member's prediction at the rows of X, original units: a (members x n) matrix.
  Eigen::MatrixXd member_predictions(const Eigen::MatrixXd& X) const;
  /// @brief Exact interventional Shapley values of the predictive mean (the members' mean) at the
  /// rows of X against the rows of `background` (models/tree_shap.hpp).
  ShapValues shap_values(const Eigen::MatrixXd& X, const Eigen::MatrixXd& background) const;

 private:
  struct State;
  void check_input(const Eigen::MatrixXd& X, const char* what) const;
  BoostOptions options_;
  std::uint64_t seed_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace matopt
