// SPDX-License-Identifier: MIT
/// @file
/// @brief The Bayesian-optimization benchmark behind `matopt bench bo`: BO (GP per objective refitted
/// every batch + propose()) against Sobol and random search on a synthetic problem, plus a proposal
/// latency measurement over a large candidate pool.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace matopt {

struct BoBenchOptions {
  std::string problem = "dtlz2";
  int budget = 60;      ///< total evaluations per run, initial design included
  int batch = 4;        ///< q
  int repeats = 5;
  int init = 0;         ///< initial Sobol points; 0 = 2 (d + 1)
  std::string strategy = "qnehvi";
  std::uint64_t seed = 0;
  /// JSON for make_surrogate("gp", ...). The synthetic problems are noise-free, so the noise variance
  /// is capped (standardized units) instead of letting the fit explain structure as noise. The
  /// log-normal length-scale prior (median e^2 sqrt(d) standardized units) stops maximum likelihood
  /// from declaring weakly visible inputs irrelevant (length scale at its bound) while there are only
  /// a few points per dimension; on DTLZ2 that is what kept BO exploring the box's edges for 20
  /// evaluations.
  std::string gp_options = R"({"restarts": 4, "max_noise_variance": 1e-4, "length_scale_prior": ["lognormal", 2.0, 0.75]})";
  int raw_samples = 1024;
  int refine_starts = 32;
  int refine_iterations = 60;
  int mc_samples = 128;
  int threads = 0;
  bool baselines = true;  ///< also run Sobol and random search
};

/// @brief One run of one method: hypervolume after each batch.
struct BoTrace {
  std::string method;  ///< strategy name, "sobol" or "random"
  int repeat = 0;
  std::vector<int> evaluations;
  std::vector<double> hypervolume;
  double seconds = 0.0;
};

struct BoBenchResult {
  BoBenchOptions options;
  std::string problem_description;
  std::vector<double> ref_point;
  double max_hypervolume = 0.0;
  std::string max_hypervolume_source;
  std::vector<BoTrace> traces;
};

/// @brief Runs every method `repeats` times (repeat r uses seed derive_seed(seed, r) for every method).
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
  int train_points = 64;
  int repeats = 3;
  std::string strategy = "qnehvi";
  std::string gp_options = R"({"restarts": 4, "max_noise_variance": 1e-4})";
  std::uint64_t seed = 0;
  int threads = 0;
};

struct LatencyResult {
  LatencyOptions options;
  double fit_seconds = 0.0;                  ///< fitting the two GPs (not part of the latency)
  double pool_read_seconds = 0.0;            ///< streaming the pool CSV alone
  std::vector<double> propose_seconds;       ///< one per repeat: propose() end to end, pool file streamed
  std::vector<double> propose_cpu_seconds;   ///< process CPU time of the same calls (all threads)
  std::size_t candidates_scored = 0;
};

/// @brief DTLZ2 (d=6, m=2) with GPs fitted on `train_points` Sobol points; writes a pool CSV of
/// `pool_size` random points to a temporary directory and times propose() over it.
LatencyResult run_propose_latency(const LatencyOptions& options);
std::string latency_summary(const LatencyResult& result);

}  // namespace matopt
