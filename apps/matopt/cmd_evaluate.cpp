// SPDX-License-Identifier: MIT
// `matopt evaluate`: CLI wiring for bench/evaluate.hpp (out-of-distribution splits next to a random
// split with the same model).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/bench/evaluate.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt::cli {

namespace {

struct EvaluateArgs {
  std::string data, target, model = "auto", features, options, split = "random", output, composition, id;
  std::vector<std::string> process;
  int folds = 5, threads = 1;
  std::size_t min_rows = 0;
  bool no_baseline = false, no_composition = false;
  std::uint64_t seed = 0;
};

std::filesystem::path baseline_path(const std::filesystem::path& out) {
  std::filesystem::path p = out;
  p.replace_extension();
  return p.string() + ".random.json";
}

MatbenchOptions engine_options(const EvaluateArgs& a, const std::string& label) {
  MatbenchOptions o;
  o.model = a.model;
  o.features = a.features;
  o.seed = a.seed;
  o.threads = a.threads;
  o.dataset_label = label;
  if (!a.options.empty()) {
    if (a.model == "gp") o.gp_options = a.options;
    else if (a.model == "forest") o.forest_options = a.options;
    else if (a.model == "boost") o.boost_options = a.options;
    else if (a.model == "ensemble") o.ensemble_options = a.options;
    else throw InvalidArgument("evaluate: --options applies to one model (--model gp, forest, boost or ensemble)");
  }
  return o;
}

void run(const EvaluateArgs& a) {
  EvaluationOptions opt;
  opt.split = parse_split(a.split);
  opt.split.folds = a.folds;
  opt.split.min_rows = a.min_rows;
  opt.split.seed = a.seed;
  opt.random_baseline = !a.no_baseline;

  std::vector<std::string> process = a.process;
  if (!opt.split.column.empty()) process.push_back(opt.split.column);  // read it; it is not a model input
  ImportReport report;
  const Dataset data =
      read_dataset(a.data, csv_import_options(a.composition, a.id, {a.target}, process, a.no_composition), &report);
  print_import_report("evaluate", report, data);
  opt.engine = engine_options(a, std::filesystem::path(a.data).stem().string());

  std::unique_ptr<Progress> progress;
  auto on_start = [&](std::size_t total) {
    std::fprintf(stderr, "evaluate: split %s, %zu folds%s, model %s\n", opt.split.text().c_str(), total,
                 opt.random_baseline ? " (the random-split baseline included)" : "", a.model.c_str());
    if (!opt.split.column.empty())
      std::fprintf(stderr, "evaluate: column '%s' decides the folds and is not a model input\n", opt.split.column.c_str());
    progress = std::make_unique<Progress>("evaluate folds", total);
  };
  auto on_fold = [&](const MatbenchFoldResult& f, std::size_t done, std::size_t total) {
    log_info("fold '" + (f.label.empty() ? std::to_string(f.fold + 1) : f.label) + "' done in " + format_double(f.seconds) + " s");
    if (progress) progress->update(done, done < total ? f.label : std::string());
  };
  const EvaluationRun run = evaluate_splits(data, a.target, opt, on_fold, on_start);
  if (progress) progress->finish();
  std::fputs(format_evaluation(run).c_str(), stdout);
  if (a.output.empty()) return;
  write_matbench_results(run.run, a.output);
  std::printf("results: %s\n", a.output.c_str());
  if (run.random) {
    write_matbench_results(*run.random, baseline_path(a.output));
    std::printf("random-split baseline: %s\n", baseline_path(a.output).string().c_str());
  }
}

}  // namespace

void register_evaluate_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto a = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate",
                                 "Accuracy and calibration on out-of-distribution splits (clusters, elements, groups, "
                                 "time) next to a random split with the same model (docs/evaluate.md)");
  cmd->add_option("DATA", a->data, "Dataset (.csv or .h5) with a composition column and the target")->required();
  cmd->add_option("--target", a->target, "Target column")->required();
  cmd->add_option("--split", a->split,
                  "random, loco (k-means clusters of standardized Magpie features, one held out at a time), element "
                  "(every row containing an element held out, per element), group:COLUMN (leave one group out) or "
                  "time:COLUMN (forward chaining)")
      ->capture_default_str();
  cmd->add_option("--folds", a->folds, "Folds of random, clusters of loco, forward steps of time")->capture_default_str();
  cmd->add_option("--min-rows", a->min_rows,
                  "element: hold out elements in at least this many rows that leave as many to train on "
                  "(default: max(10, 5 % of the rows))");
  cmd->add_option("--model", a->model,
                  "auto (what `matopt train` fits: candidates chosen by inner CV per fold), gp, forest, boost, "
                  "ensemble, or a comma-separated list of candidates")
      ->capture_default_str();
  cmd->add_option("--features", a->features, "Feature spec (default: the engine's per-candidate feature sets)");
  cmd->add_option("--options", a->options, "JSON options of the one model given with --model (docs/models.md)");
  cmd->add_option("--process", a->process, "Process columns (model inputs besides the composition)")->delimiter(',');
  cmd->add_option("--composition", a->composition, "Composition column (default: detected, and printed)");
  cmd->add_option("--id", a->id, "Id column");
  cmd->add_flag("--no-composition", a->no_composition, "The table has no composition column");
  cmd->add_flag("--no-baseline", a->no_baseline, "Skip the random-split run (no ratio)");
  cmd->add_option("--seed", a->seed, "Seed of the splits and the models")->capture_default_str();
  cmd->add_option("-j,--threads", a->threads, "Folds run concurrently")->capture_default_str();
  cmd->add_option("-o,--output", a->output,
                  "Results JSON (the `bench matbench` format, with per-row predictions and fold labels); the random "
                  "baseline goes to <name>.random.json");
  cmd->callback([a] { run(*a); });
}

}  // namespace matopt::cli
