// SPDX-License-Identifier: MIT
/// @file
/// @brief Accuracy and uncertainty-quality metrics for regression and classification.
///
/// All functions take equally sized vectors and throw InvalidArgument on a size mismatch or empty
/// input. Standard deviations must be > 0 where a Gaussian density is evaluated.
#pragma once

#include <Eigen/Core>

namespace matopt {

/// @brief Mean absolute error.
double mae(const Eigen::VectorXd& y, const Eigen::VectorXd& mean);
/// @brief Root mean squared error.
double rmse(const Eigen::VectorXd& y, const Eigen::VectorXd& mean);
/// @brief Coefficient of determination 1 − SS_res/SS_tot; NaN when y is constant (undefined).
double r2_score(const Eigen::VectorXd& y, const Eigen::VectorXd& mean);
/// @brief Mean Gaussian negative log-likelihood ½log(2πσ²) + (y−μ)²/(2σ²).
double gaussian_nll(const Eigen::VectorXd& y, const Eigen::VectorXd& mean, const Eigen::VectorXd& std);
/// @brief Fraction of y inside the central Gaussian interval of probability `level` (e.g. 0.68, 0.95).
double interval_coverage(const Eigen::VectorXd& y, const Eigen::VectorXd& mean, const Eigen::VectorXd& std,
                         double level);
/// @brief Miscalibration area (as in Uncertainty Toolbox): trapezoid integral over expected
/// proportions p = 0, 1/(bins−1), …, 1 of |observed − p|, where observed is the fraction of points
/// inside the central interval of probability p. 0 = perfectly calibrated, at most 0.5.
double miscalibration_area(const Eigen::VectorXd& y, const Eigen::VectorXd& mean, const Eigen::VectorXd& std,
                           int bins = 100);
/// @brief Fraction of rows inside the central interval of probability `level` of *any* predictive
/// distribution, from probability integral transforms: row i gives [lo_i, hi_i] = [F_i(y_i−), F_i(y_i)].
/// A continuous F_i has lo_i = hi_i = F_i(y_i), and the row is inside when |F_i(y_i) − ½| ≤ level/2 (for a
/// Gaussian this is interval_coverage). A point mass at y_i (e.g. P(y = 0) of a zero-inflated model) makes
/// the interval wider; the row then counts with the fraction of [lo_i, hi_i] inside [½ − level/2, ½ + level/2],
/// the expected value of the uniformly randomized PIT (Czado, Gneiting & Held 2009), without random draws.
/// Throws InvalidArgument unless 0 <= lo_i <= hi_i <= 1.
double pit_interval_coverage(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, double level);
/// @brief miscalibration_area for any predictive distribution, with observed proportions from
/// pit_interval_coverage (for Gaussian predictions it equals miscalibration_area).
double pit_miscalibration_area(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, int bins = 100);
/// @brief Sharpness: sqrt(mean(σ²)).
double sharpness(const Eigen::VectorXd& std);
/// @brief Spearman rank correlation (average ranks for ties); NaN if either input is constant.
double spearman(const Eigen::VectorXd& a, const Eigen::VectorXd& b);
/// @brief Spearman(|y − μ|, σ): do larger predicted uncertainties go with larger errors?
double error_uncertainty_spearman(const Eigen::VectorXd& y, const Eigen::VectorXd& mean, const Eigen::VectorXd& std);

/// @brief Standard normal quantile Φ⁻¹(p) for p in (0, 1).
double normal_quantile(double p);

/// @brief ROC-AUC of scores against 0/1 labels (Mann–Whitney with average ranks, so ties count ½).
/// Throws InvalidArgument if only one class is present.
double roc_auc(const Eigen::VectorXd& labels, const Eigen::VectorXd& scores);
/// @brief Fraction of labels equal to predicted labels (both 0/1).
double accuracy(const Eigen::VectorXd& labels, const Eigen::VectorXd& predicted);
/// @brief Mean of the per-class recalls (0/1 labels).
double balanced_accuracy(const Eigen::VectorXd& labels, const Eigen::VectorXd& predicted);
/// @brief Matbench's "ROC-AUC": scores thresholded at `threshold` (score >= threshold → 1) before the
/// AUC, which makes it equal to the balanced accuracy of the thresholded labels.
double matbench_roc_auc(const Eigen::VectorXd& labels, const Eigen::VectorXd& scores, double threshold = 0.5);

/// @brief All regression metrics at once.
struct RegressionMetrics {
  double mae = 0, rmse = 0, r2 = 0, nll = 0, miscalibration_area = 0, coverage68 = 0, coverage95 = 0,
         sharpness = 0, spearman_error_std = 0;
};
RegressionMetrics regression_metrics(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                     const Eigen::VectorXd& std);

}  // namespace matopt
