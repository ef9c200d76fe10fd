// SPDX-License-Identifier: MIT
/// @file
/// @brief `matopt evaluate`: a model's accuracy and calibration on out-of-distribution splits
/// (models/splits.hpp) next to a random split with the same model, so the extrapolation penalty is
/// one number. The folds run through run_matbench (the modelling engine `matopt train` uses, with
/// inner-CV model choice and recalibration on each fold's training rows only). docs/evaluate.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "matopt/bench/matbench.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/models/splits.hpp"

namespace matopt {

struct EvaluationOptions {
  SplitSpec split;
  /// The engine's options (model, features, seed, threads, ...); `results_path` and `folds` are
  /// not used.
  MatbenchOptions engine;
  /// Also run a random K-fold split (K = split.folds) with the same engine for the ratios.
  bool random_baseline = true;
};

/// @brief Test rows inside vs outside the applicability domain (models/domain.hpp) of their fold's
/// training rows, measured in split_features() space, pooled over folds.
struct DomainSummary {
  std::size_t inside = 0, outside = 0;
  double mae_inside = 0, mae_outside = 0;  ///< regression; NaN when a side is empty (or classification)
};

struct EvaluationRun {
  SplitSpec split;
  std::vector<std::string> skipped;   ///< elements or groups not held out, with the reason
  MatbenchRun run;                    ///< the split's folds (labels set)
  std::optional<MatbenchRun> random;  ///< the random-split baseline
  /// Mean over folds of the split's MAE (regression) or log-loss (classification) divided by the
  /// random split's; NaN without a baseline.
  double ratio = 0;
  std::string ratio_metric;  ///< "mae" or "log_loss"
  DomainSummary domain;                       ///< of the split's folds
  std::optional<DomainSummary> random_domain; ///< of the baseline's folds
};

/// @brief The splits as MatbenchFolds (explicit training rows, labels, partition = false unless the
/// split is a partition of the rows).
MatbenchFolds folds_from_splits(const std::vector<DataSplit>& splits, std::size_t n_rows, bool partition);

/// @brief Runs the split's folds (then the baseline) on `target`. Every fold gets a "spearman"
/// metric (regression) besides run_matbench's. `on_start` gets the number of folds of both runs
/// together before the first starts; `on_fold` is called after each fold of either run, with the
/// count done so far over both.
EvaluationRun evaluate_splits(const Dataset& data, const std::string& target, const EvaluationOptions& options,
                              const MatbenchFoldCallback& on_fold = {}, const MatbenchStartCallback& on_start = {});

/// @brief Scores the test rows of each fold of `run` with an ApplicabilityDomain fitted on that
/// fold's training rows of `features` (rows = dataset rows) and pools their absolute errors.
DomainSummary domain_summary(const MatbenchRun& run, const MatbenchFolds& folds, const Eigen::MatrixXd& features,
                             std::uint64_t seed);

/// @brief The terminal table: one line per fold (label, rows, scores), the mean over folds, the
/// baseline's mean, the ratio and the MAE inside vs outside the applicability domain.
std::string format_evaluation(const EvaluationRun& run);

}  // namespace matopt
