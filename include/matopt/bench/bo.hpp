// SPDX-License-Identifier: MIT
/// @file
/// @brief The Bayesian-optimization benchmark behind `matopt bench bo`: BO (GP per objective refitted
/// every batch + propose()) against Sobol and random search on a synthetic problem, plus a proposal
/// latency measurement over a large candidate pool.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "matopt/bench/synthetic.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/optimize/design_space.hpp"

namespace matopt {

struct BoBenchOptions {
  std::string problem = "dtlz2";
  int budget = 60;      ///< total evaluations per run, initial design included
  int batch = 4;        ///< q
  int repeats = 5;
  std::uint64_t seed = 0;
  /// What each round's Campaign::propose runs with: `matopt propose`'s options and defaults
  /// (strategy "" = default_strategy(), the GP with few-point priors, the campaign's Sobol initial
  /// design until min_measurements). `q` is set from `batch`.
  CampaignProposeOptions propose;
  /// State the problem's reference point as objective thresholds in the design space (what a user
  /// who knows the region of interest writes); otherwise the campaign infers one from the front.
  bool thresholds = false;
  bool baselines = true;  ///< also run Sobol and random search
};

/// @brief One run of one method: hypervolume after each batch.
struct BoTrace {
  std::string method;  ///< strategy name, "sobol" or "random"
  int repeat = 0;
  std::vector<int> evaluations;
  std::vector<double> hypervolume;
  double seconds = 0.0;
  Eigen::MatrixXd points;  ///< BO runs: the evaluated design points in order (empty for baselines)
};

struct BoBenchResult {
  BoBenchOptions options;
  std::string strategy;  ///< the strategy the proposals used (the default resolved)
  std::string problem_description;
  std::vector<double> ref_point;
  double max_hypervolume = 0.0;
  std::string max_hypervolume_source;
  std::vector<BoTrace> traces;
};

/// @brief The problem's design space as a user would declare it: `problem.space`, with the
/// problem's reference point stated as objective thresholds when `thresholds` is set.
DesignSpace bo_design_space(const SyntheticProblem& problem, bool thresholds);

/// @brief Runs every method `repeats` times (repeat r uses seed derive_seed(seed, r) for every method).
/// BO is an in-memory Campaign with that seed over bo_design_space(): one Campaign::propose per
/// batch, answered by the problem's function (the loop `matopt init` / `propose` / `ingest` runs).
/// `progress(done, total)` is called after each run when given.
BoBenchResult run_bo_benchmark(const BoBenchOptions& options,
                               const std::function<void(int, int)>& progress = {});

/// @brief results.json text: options, reference point, true HV, every trace.
std::string bo_results_json(const BoBenchResult& result);
/// @brief Terminal table: per evaluation count and method, median HV [min, max] over repeats and the
/// median log10 HV regret; then the final figures (median/mean/spread, % of the true front's HV).
std::string bo_summary_table(const BoBenchResult& result);

struct LatencyOptions {
  int pool_size = 100000;
  int q = 8;
  int train_points = 50;
  int repeats = 3;
  /// `matopt propose`'s options and defaults; `q` is set from `q`.
  CampaignProposeOptions propose;
  std::uint64_t seed = 0;
};


struct LatencyResult {
  LatencyOptions options;
  std::vector<double> propose_seconds;       ///< one per repeat: Campaign::propose (fits included), in memory
  std::vector<double> propose_cpu_seconds;   ///< process CPU time of the same calls (all threads)
};

/// @brief DTLZ2 (d=6, m=2): an in-memory campaign over a pool of `pool_size` random points with
/// `train_points` of them measured; times Campaign::propose (model fits and scoring, no file I/O;
/// the CLI call with process start and campaign read is timed by bench/campaign_cli.py).
LatencyResult run_propose_latency(const LatencyOptions& options);
std::string latency_summary(const LatencyResult& result);

}  // namespace matopt
