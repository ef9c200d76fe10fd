// SPDX-License-Identifier: MIT
/// @file
/// @brief The building blocks of model selection by inner cross-validation: seeded fold assignment,
/// held-out scores, equal-weight pooling of candidates, Platt scaling of label margins and the choice
/// of a classification threshold. Each is a pure function of its inputs (see docs/auto.md).
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <utility>
#include <vector>

#include "matopt/models/target_transform.hpp"

namespace matopt {

/// @brief Inner fold (0..k−1) of each of n rows: a seeded shuffle dealt round-robin, so fold sizes
/// differ by at most one. InvalidArgument for k < 2 or k > n.
std::vector<int> inner_fold_assignment(std::size_t n, int k, std::uint64_t seed);

/// @brief The held-out score a candidate is chosen by (lower is better): regression the MAE of the
/// point prediction (the median); classification 1 − balanced accuracy of its labels.
double selection_score(const PredictiveDistribution& d, const Eigen::VectorXd& y);

/// @brief The equal-weight pool of several candidates' predictions of the same rows, all of one
/// kind: probabilities (Bernoulli, the hurdle's P(y > 0)) and margins are averaged; the Gaussian
/// parts are moment-matched in the space they share. InvalidArgument for mixed kinds or sizes.
TransformedPrediction pool_predictions(const std::vector<const TransformedPrediction*>& parts);

/// @brief Platt scaling p = 1 / (1 + exp(−(a·m + b))) of a label margin m (mean − ½).
struct PlattScaling {
  double a = 1.0, b = 0.0;
  bool fitted = false;
  double apply(double margin) const;
  Eigen::VectorXd apply(const Eigen::VectorXd& margin) const;
  /// @brief Fitted by Newton's method on held-out margins and 0/1 labels (a ridge of 1e-6·n keeps it
  /// finite when the classes separate).
  static PlattScaling fit(const Eigen::VectorXd& margin, const Eigen::VectorXd& y);
};

/// @brief The decision threshold t maximizing the balanced accuracy of labels 1{p >= t} on held-out
/// probabilities p and 0/1 labels y; ties go to the t closest to ½, and t is the midpoint between
/// the two probabilities it separates. ½ when y holds one class only.
double choose_threshold(const Eigen::VectorXd& p, const Eigen::VectorXd& y);

/// @brief Balanced accuracy of labels 1{p >= threshold} against 0/1 labels y (classes absent from y
/// are left out of the mean).
double thresholded_balanced_accuracy(const Eigen::VectorXd& p, const Eigen::VectorXd& y, double threshold = 0.5);

}  // namespace matopt
