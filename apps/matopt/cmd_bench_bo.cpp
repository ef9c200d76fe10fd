// SPDX-License-Identifier: MIT
// `matopt bench bo`: sample efficiency of BO against Sobol/random search on synthetic problems, and
// proposal latency over a large candidate pool (--latency).
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "matopt/acquisition/batch.hpp"
#include "matopt/bench/bo.hpp"
#include "matopt/bench/synthetic.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt::cli {

namespace {

struct BenchBoArgs {
  BoBenchOptions bo;
  std::string output;
  bool latency = false;
  int pool_size = 100000;
  int train_points = 50;
  bool no_baselines = false;
};

void write_text_atomically(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  {
    std::ofstream out(f.temp_path(), std::ios::binary);
    out << text;
    if (!out) throw IOError(path + ": cannot write");
  }
  f.commit();
}

void run(BenchBoArgs& a) {
  if (a.latency) {
    LatencyOptions lo;
    lo.pool_size = a.pool_size;
    lo.q = a.bo.batch;
    lo.train_points = a.train_points;
    lo.repeats = a.bo.repeats;
    lo.propose = a.bo.propose;
    lo.seed = a.bo.seed;
    LatencyResult r = run_propose_latency(lo);
    std::fputs(latency_summary(r).c_str(), stdout);
    return;
  }
  a.bo.baselines = !a.no_baselines;
  Progress progress("bench bo " + a.bo.problem, static_cast<std::size_t>((a.bo.baselines ? 3 : 1) * a.bo.repeats));
  BoBenchResult r = run_bo_benchmark(a.bo, [&](int done, int total) {
    progress.update(static_cast<std::size_t>(done), std::to_string(done) + "/" + std::to_string(total) + " runs");
  });
  progress.finish();
  std::fputs(bo_summary_table(r).c_str(), stdout);
  if (!a.output.empty()) {
    write_text_atomically(a.output, bo_results_json(r));
    std::printf("wrote %s\n", a.output.c_str());
  }
}

}  // namespace

void register_bench_bo(CLI::App& bench, Context& ctx) {
  (void)ctx;
  auto a = std::make_shared<BenchBoArgs>();
  auto* cmd = bench.add_subcommand("bo", "Bayesian optimization vs Sobol/random search on synthetic problems (hypervolume per batch)");
  std::string problems;
  for (const auto& n : synthetic_problem_names()) problems += (problems.empty() ? "" : ", ") + n;
  cmd->add_option("--problem", a->bo.problem, "Problem: " + problems)->capture_default_str();
  cmd->add_option("--budget", a->bo.budget, "Evaluations per run (initial design included)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch,-q", a->bo.batch, "Batch size q")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--repeats", a->bo.repeats, "Independent runs per method")->capture_default_str()->check(CLI::PositiveNumber);
  std::string strategies;
  for (const auto& s : batch_strategies()) strategies += (strategies.empty() ? "" : "|") + s;
  cmd->add_option("--strategy", a->bo.propose.strategy,
                  "Acquisition as in `matopt propose`: " + strategies + " (default: qnehvi for several objectives)");
  cmd->add_option("--seed", a->bo.seed, "Seed")->capture_default_str();
  cmd->add_option("--model", a->bo.propose.model, "Surrogate per objective, as in `matopt propose`")->capture_default_str();
  cmd->add_option("--model-options", a->bo.propose.model_options, "Surrogate options JSON, as in `matopt propose`");
  cmd->add_option("--min-measurements", a->bo.propose.min_measurements,
                  "Measurements before models are fitted (the campaign's Sobol design until then; 0 = propose's default, 2(d+1))")->capture_default_str();
  cmd->add_option("--raw-samples", a->bo.propose.raw_samples, "Space-filling candidates per proposal")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--threads", a->bo.propose.threads, "Scoring threads (0 = all cores)")->capture_default_str();
  cmd->add_flag("--thresholds", a->bo.thresholds, "State the problem's reference point as objective thresholds in the design space");
  cmd->add_flag("--no-baselines", a->no_baselines, "Skip the Sobol and random-search runs");
  cmd->add_option("-o,--output", a->output, "Write results.json with every run's per-iteration values");
  cmd->add_flag("--latency", a->latency, "Measure proposal latency over a candidate pool instead (uses --batch, --repeats, --strategy)");
  cmd->add_option("--pool-size", a->pool_size, "Candidates in the latency pool")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--train-points", a->train_points, "Training points of the latency GPs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([a] { run(*a); });
}

}  // namespace matopt::cli
