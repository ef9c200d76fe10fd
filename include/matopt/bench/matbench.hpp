// SPDX-License-Identifier: MIT
/// @file
/// @brief Matbench-style benchmarking: official test folds, per-fold model selection by inner
/// cross-validation on the training rows only, scores computed the way Matbench computes them, and a
/// resumable results file with per-row test predictions.
///
/// @code
///   matopt::Dataset data = matopt::read_dataset("matbench_steels.csv");
///   matopt::MatbenchFolds folds = matopt::read_matbench_folds("matbench_steels.folds.json");
///   matopt::MatbenchOptions opt;
///   opt.results_path = "results.json";
///   matopt::MatbenchRun run = matopt::run_matbench(data, "yield strength", folds, opt);
///   std::puts(matopt::format_matbench_table(run).c_str());
/// @endcode
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "matopt/core/dataset.hpp"
#include "matopt/models/calibration.hpp"

namespace matopt {

enum class MatbenchTaskType { Regression, Classification };

/// @brief "regression" or "classification".
std::string to_string(MatbenchTaskType type);

/// @brief The contents of a `.folds.json` file: the test rows (0-based) of each outer fold. The
/// training rows of a fold are all the other rows.
struct MatbenchFolds {
  std::string task;       ///< "task" field ("" if absent)
  std::string target;     ///< "target" field: the target column ("" if absent)
  std::string task_type;  ///< "task_type" field ("" if absent)
  std::size_t n = 0;      ///< "n" field (0 if absent)
  std::vector<std::vector<std::size_t>> test;
  /// Training rows per fold (0-based); empty = every row not in the fold's test set. Set by the
  /// out-of-distribution splits of `matopt evaluate` (models/splits.hpp), never read from a file.
  std::vector<std::vector<std::size_t>> train;
  /// One name per fold for tables ("Fe", "cluster 2", a group's value); empty = fold numbers.
  std::vector<std::string> labels;
  /// The test sets partition the rows (Matbench's folds). False for splits whose test sets may
  /// overlap or leave rows out (leave-one-element-out, forward chaining in time).
  bool partition = true;
};

/// @brief Parses folds JSON text; `name` is used in messages. Throws DataError on malformed JSON, a
/// missing "folds" array, or entries that are not non-negative integers (naming fold and position).
MatbenchFolds parse_matbench_folds(const std::string& json_text, const std::string& name);
/// @brief Reads and parses a `.folds.json` file (IOError if it cannot be read).
MatbenchFolds read_matbench_folds(const std::filesystem::path& path);

/// @brief Checks that the test folds partition rows 0..n_rows-1: no index past the end, no row in two
/// folds (or twice in one), no row in none, "n" (if given) equal to n_rows, at least 2 folds, none
/// empty. Throws DataError naming `name`, the fold and the index. Folds with `partition` false need
/// only 1 fold, indices in range, no row twice in one fold, and explicit training rows (when given)
/// that are in range, non-empty and disjoint from the fold's test rows.
void validate_matbench_folds(const MatbenchFolds& folds, std::size_t n_rows, const std::string& name);

/// @brief Training rows of fold `fold`: `train[fold]` when given, else every row not in its test set, ascending.
std::vector<std::size_t> matbench_train_rows(const MatbenchFolds& folds, std::size_t fold, std::size_t n_rows);

/// @brief Regression for Continuous/Integer targets, classification for Boolean ones; DataError naming
/// the column otherwise (categorical/text targets). Missing target values are a DataError too.
MatbenchTaskType detect_matbench_task_type(const Column& target, const std::string& file);

/// @brief Rows sharing the same composition (same elements and fractions).
struct DuplicateReport {
  std::size_t groups = 0;              ///< compositions that occur more than once
  std::size_t rows = 0;                ///< rows in those groups
  std::size_t conflicting_groups = 0;  ///< groups whose targets differ
  std::size_t conflicting_rows = 0;    ///< rows in conflicting groups
  std::vector<std::string> examples;   ///< up to 5 conflicting formulas, for messages
};

/// @brief Finds duplicate compositions; targets differ when |a - b| > tolerance * max(1, |a|, |b|).
/// Matbench keeps duplicates, and so does the runner: this is only reported.
DuplicateReport find_duplicate_compositions(const Dataset& data, const Eigen::VectorXd& y,
                                            double tolerance = 1e-9);

/// @brief Test-fold scores of a regression model.
struct RegressionScores {
  double mae = 0, rmse = 0, r2 = 0;
  double nll = 0;                  ///< mean Gaussian negative log-likelihood per row
  double miscalibration_area = 0;  ///< area between observed and expected interval coverage
  double coverage68 = 0, coverage95 = 0;  ///< fraction of rows inside the central 68 % / 95 % intervals
};

/// @brief Scores of predictions `mean` ± `std` against `y` (a Gaussian predictive distribution).
RegressionScores score_matbench_regression(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                           const Eigen::VectorXd& std);

/// @brief Scores of a non-Gaussian predictive distribution. Row i: y = 0 with probability
/// 1 − p_positive[i] (p_positive empty: no point mass), else g(y) ~ N(loc[i], scale[i]²) with
/// g = log1p if `log_space`, the identity otherwise; in log space the distribution is that of max(0, y)
/// (targets are >= 0 there, and the Gaussian part's mass below 0 is counted at 0). MAE, RMSE, R² and the Gaussian NLL use the
/// summary `mean` (point prediction) and `std`; the coverages and the miscalibration area use the
/// distribution itself (pit_interval_coverage, pit_miscalibration_area), recalibrated by
/// `quantile_calibration` when that is fitted (the CDF becomes R ∘ F).
RegressionScores score_matbench_regression(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                                           const Eigen::VectorXd& std, const Eigen::VectorXd& p_positive,
                                           const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                                           bool log_space, const PitCalibration& quantile_calibration = {});

/// @brief Test-fold scores of a classifier that outputs P(y = 1).
struct ClassificationScores {
  /// Matbench's published "ROC-AUC": AUC of the labels thresholded at 0.5 (so it equals balanced
  /// accuracy), reproduced for like-for-like comparison with the leaderboard.
  double rocauc_matbench = 0;
  double rocauc = 0;  ///< proper ROC-AUC from the probabilities
  double accuracy = 0;
  double balanced_accuracy = 0;
  double log_loss = 0;  ///< mean Bernoulli negative log-likelihood, probabilities clipped to [1e-15, 1-1e-15]
};

/// @brief Scores of probabilities `p` against 0/1 labels `y`; the hard labels (accuracy, balanced
/// accuracy, Matbench's thresholded ROC-AUC) are 1{p >= threshold}.
ClassificationScores score_matbench_classification(const Eigen::VectorXd& y, const Eigen::VectorXd& p,
                                                   double threshold = 0.5);

/// @brief How to run a benchmark.
struct MatbenchOptions {
  /// "auto" (the auto engine with its default candidates: what `matopt train` fits), or "gp",
  /// "ensemble", "forest", "boost" or a comma-separated list of them (the engine's candidates, chosen
  /// per fold by inner CV).
  std::string model = "auto";
  /// Pipeline feature spec; several specs separated by ',' are candidates chosen per fold by inner CV.
  /// "" = the engine's per-candidate feature sets ("auto") or magpie+stoichiometry+valence_orbital.
  std::string features;
  std::string gp_options;        ///< JSON passed to make_surrogate("gp", ...)
  std::string ensemble_options;  ///< JSON passed to make_deep_ensemble(...)
  std::string forest_options;    ///< JSON passed to make_surrogate("forest", ...) (ForestOptions keys)
  std::string boost_options;     ///< JSON passed to make_surrogate("boost", ...) (BoostOptions keys)
  /// Target transform for regression: "none", "log1p" (targets must be >= 0; the model predicts
  /// log(1 + y), predictions are mapped back), "hurdle", or "auto" (chosen per fold by inner CV, see
  /// AutoOptions::transform). "" = "auto" with --model auto, else "none".
  std::string transform;
  std::uint64_t seed = 0;
  std::vector<std::size_t> folds;  ///< outer folds to run; empty = all
  int threads = 1;                 ///< outer folds run concurrently on up to this many threads
  /// Inner CV folds on each fold's training rows, used to choose the model/transform ("auto") and to
  /// recalibrate σ on held-out residuals. 0 disables both (then "auto" is refused).
  int inner_folds = 3;
  bool recalibrate = true;  ///< regression: σ' = a·σ + b fitted on inner-CV residuals
  /// Regression, with `recalibrate`: then also quantile recalibration of the whole predictive
  /// distribution on the inner-CV PITs (see PitCalibration); the point prediction becomes the
  /// recalibrated median.
  bool quantile_recalibration = true;
  /// With inner CV: also consider the equal-weight pool of the `pool` best candidates (by inner-CV score)
  /// that share the best one's transform, moment-matched to one distribution of the same kind; it is
  /// used when its inner-CV score beats the best single candidate. 0 or 1: no pooling.
  /// -1 = the default: 3 with --model auto, else 0.
  int pool = -1;
  /// Inner CV refits every model from scratch on each inner training split, GP hyperparameters
  /// included (K + 1 hyperparameter searches per GP candidate instead of 1). Off: the GP's inner-CV
  /// twins reuse the hyperparameters fitted on the whole training fold, which is cheaper but makes the
  /// inner-CV scores (and the residuals the recalibration is fitted on) optimistic.
  /// Unset = the default: on with --model auto, else off.
  std::optional<bool> inner_refit;
  /// The hurdle transform's model of P(y > 0): "model" (the candidate's own model of the 0/1 label),
  /// "pool" (the equal-weight pool of a GP of the label and a deep-ensemble classifier; needs the
  /// libtorch plugin) or "auto" (both, chosen per fold by inner CV).
  std::string hurdle_gate = "model";
  /// Results file: written atomically after every fold; if it exists when the run starts and was
  /// written with the same arguments, its finished folds are kept and skipped. Empty = none.
  std::filesystem::path results_path;
  std::string dataset_label;  ///< what the results file records as the dataset (e.g. task name or path)
};

/// @brief One finished outer fold.
struct MatbenchFoldResult {
  std::size_t fold = 0;
  std::string label;      ///< MatbenchFolds::labels of the fold ("" for Matbench's numbered folds)
  std::string model;      ///< model used on the test rows ("gp"/"ensemble"/"forest"/"boost", or "pool": see `pool`)
  std::string transform;  ///< target transform used ("none"/"log1p"; "" for classification)
  std::string features;   ///< feature spec used (a pool: the distinct specs of its members, ','-separated)
  std::vector<std::string> pool;  ///< model "pool": the pooled candidates, as named in inner_cv
  std::string gate;  ///< hurdle, one candidate: "pool" when its P(y > 0) came from the pooled gate, else ""
  std::map<std::string, double> metrics;   ///< test scores by name (see format_matbench_table)
  std::map<std::string, double> inner_cv;  ///< inner-CV score of each candidate (lower is better)
  /// σ recalibration applied, scale' = a·scale + b in the space of `loc` (a = 1, b = 0: none)
  double calibration_a = 1, calibration_b = 0;
  double seconds = 0;                           ///< wall time of the fold
  std::size_t n_train = 0;
  std::vector<std::size_t> rows;  ///< test rows (0-based dataset indices)
  Eigen::VectorXd y_true;         ///< targets of those rows
  Eigen::VectorXd mean;           ///< regression: predicted mean; classification: P(y = 1)
  Eigen::VectorXd std;            ///< regression: predicted σ (after recalibration); classification: empty
  /// Regression: the predictive distribution behind mean/std (see the distribution overload of
  /// score_matbench_regression); p_positive is set for the hurdle transform only. Empty in results
  /// files written before matopt 0.3.
  Eigen::VectorXd p_positive, loc, scale;
  bool log_space = false;  ///< loc/scale describe log(1 + y) rather than y
  double gate_calibration_a = 1, gate_calibration_b = 0;  ///< hurdle: Platt scaling of P(y > 0) applied
  /// Regression: quantile recalibration applied on top of loc/scale/p_positive (not fitted: none;
  /// matopt >= 0.4). mean and std are those of the recalibrated distribution.
  PitCalibration quantile_calibration;
  double threshold = 0.5;  ///< classification: the decision threshold of the hard labels (chosen on inner CV)
  /// Regression: the conformal interval's score quantile (mean ± q·std; NaN: none) and nominal coverage.
  double conformal_q = std::numeric_limits<double>::quiet_NaN();
  double conformal_coverage = 0.9;
};

/// @brief A benchmark run (possibly partial).
struct MatbenchRun {
  std::string task;  ///< dataset label
  std::string target;
  MatbenchTaskType type = MatbenchTaskType::Regression;
  std::size_t n_rows = 0;
  std::size_t n_folds = 0;
  DuplicateReport duplicates;
  std::string signature;  ///< JSON text of the arguments that determine the results (for resume)
  std::vector<MatbenchFoldResult> folds;  ///< finished folds, ascending
};

/// @brief The run scored again from the predictions stored in it, with this version's scoring (for
/// results files written by an older matopt, or to check one). Regression folds that carry their
/// predictive distribution get the point prediction and σ recomputed from loc, scale, p_positive and
/// quantile_calibration, then every metric; older regression folds are scored from their stored mean
/// and σ, classification folds from their probabilities. Signature, timings and inner-CV scores are kept.
MatbenchRun rescore_matbench_run(MatbenchRun run);

/// @brief Combines the test predictions of finished runs of the same task and folds row by row, by
/// `rule` "median" or "mean" of the members' point predictions (probabilities for classification).
/// Regression gets one Gaussian per row about the combined point, with variance the mean over members
/// of σ_m² + (mean_m − point)². Only folds finished in every run are combined (the others are logged);
/// each fold's `pool` names its members as "name:model+transform" and `seconds` is their sum.
/// `names` label the runs (file names) in messages and in the result. Throws InvalidArgument for a
/// bad rule, fewer than two runs or runs of different tasks, DataError when a fold's test rows or
/// targets differ.
MatbenchRun combine_matbench_runs(const std::vector<MatbenchRun>& runs, const std::vector<std::string>& names,
                                  const std::string& rule);

/// @brief Called after each finished fold (from the thread that finished it, serialized by a lock).
using MatbenchFoldCallback = std::function<void(const MatbenchFoldResult&, std::size_t done, std::size_t total)>;

/// @brief Called once before the first fold starts with the number of folds still to run (after
/// skipping those a resumed results file already holds).
using MatbenchStartCallback = std::function<void(std::size_t to_run)>;

/// @brief Runs the benchmark on `target` of `data` with the given folds (validated first).
/// Throws InvalidArgument on bad options (unknown model, fold out of range, a results file written
/// with other arguments), DataError on bad data or folds.
MatbenchRun run_matbench(const Dataset& data, const std::string& target, const MatbenchFolds& folds,
                         const MatbenchOptions& options, const MatbenchFoldCallback& on_fold = {},
                         const MatbenchStartCallback& on_start = {});

/// @brief Writes a run as JSON (atomically), including per-row test predictions keyed by row index.
void write_matbench_results(const MatbenchRun& run, const std::filesystem::path& path);
/// @brief Reads a file written by write_matbench_results. Throws IOError/DataError.
MatbenchRun read_matbench_results(const std::filesystem::path& path);

/// @brief Mean and population standard deviation (ddof = 0, as Matbench reports) over finished folds.
struct MetricSummary {
  double mean = 0, std = 0;
};
std::map<std::string, MetricSummary> summarize_matbench(const MatbenchRun& run);

/// @brief Plain-text table: one line per fold plus mean ± std, with the metric names spelled out.
std::string format_matbench_table(const MatbenchRun& run);

}  // namespace matopt
