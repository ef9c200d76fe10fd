// SPDX-License-Identifier: MIT
// `matopt bench matbench`: Matbench tasks with the official folds.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/bench/matbench.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt::cli {

namespace {

struct MatbenchArgs {
  std::string task, dataset, folds, folds_file, target, output, rescore;
  std::vector<std::string> combine;
  std::string rule = "median";
  std::string model = "auto";
  std::string features;
  std::string transform;
  std::string gp_options, ensemble_options, forest_options, boost_options;
  std::uint64_t seed = 0;
  int threads = 1;
  int inner_folds = 3;
  bool no_recalibrate = false;
  bool no_quantile_recalibration = false;
  int pool = -1;
  bool inner_refit = false, no_inner_refit = false;
  std::string hurdle_gate = "model";
};

bool is_fold_list(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == ',' || c == ' '; });
}

std::vector<std::size_t> parse_fold_list(const std::string& s) {
  std::vector<std::size_t> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(pos, end - pos);
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    if (item.empty()) throw InvalidArgument("--folds '" + s + "': empty entry (expected e.g. 0,2)");
    out.push_back(static_cast<std::size_t>(std::stoull(item)));
    pos = end + 1;
  }
  return out;
}

std::string available_tasks(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    const std::string suffix = ".folds.json";
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(f.substr(0, f.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none found in " + dir.string() : out;
}

// --rescore: the stored predictions of a results file scored with this version's scoring.
void rescore(const MatbenchArgs& a) {
  if (!a.task.empty() || !a.dataset.empty())
    throw InvalidArgument("--rescore FILE scores a results file again; it takes no --task or --dataset");
  const MatbenchRun result = rescore_matbench_run(read_matbench_results(a.rescore));
  std::fputs(format_matbench_table(result).c_str(), stdout);
  if (!a.output.empty()) {
    write_matbench_results(result, a.output);
    std::printf("results: %s\n", a.output.c_str());
  }
}

// --combine: the row-by-row median (or mean) of the test predictions of separate runs.
void combine(const MatbenchArgs& a) {
  if (!a.task.empty() || !a.dataset.empty() || !a.rescore.empty())
    throw InvalidArgument("--combine FILES combines results files; it takes no --task, --dataset or --rescore");
  std::vector<MatbenchRun> runs;
  for (const auto& file : a.combine) runs.push_back(read_matbench_results(file));
  const MatbenchRun result = combine_matbench_runs(runs, a.combine, a.rule);
  std::fputs(format_matbench_table(result).c_str(), stdout);
  if (!a.output.empty()) {
    write_matbench_results(result, a.output);
    std::printf("results: %s\n", a.output.c_str());
  }
}

void run(const MatbenchArgs& a) {
  if (!a.combine.empty()) return combine(a);
  if (!a.rescore.empty()) return rescore(a);
  std::vector<std::size_t> subset;
  std::string folds_path = a.folds_file;
  // --folds takes either a fold list ("0,2") or a folds file, as the two spellings never collide.
  if (!a.folds.empty()) {
    if (is_fold_list(a.folds)) subset = parse_fold_list(a.folds);
    else if (folds_path.empty()) folds_path = a.folds;
    else throw InvalidArgument("--folds '" + a.folds + "' is not a fold list and --folds-file is also given");
  }

  std::filesystem::path csv, folds_file;
  std::string label;
  if (!a.task.empty() == !a.dataset.empty())
    throw InvalidArgument("give exactly one of --task NAME or --dataset FILE.csv");
  if (!a.task.empty()) {
    const std::filesystem::path dir = data_dir() / "matbench";
    csv = dir / (a.task + ".csv");
    folds_file = folds_path.empty() ? dir / (a.task + ".folds.json") : std::filesystem::path(folds_path);
    if (!std::filesystem::exists(csv))
      throw InvalidArgument("unknown Matbench task '" + a.task + "' (available: " + available_tasks(dir) + ")");
    label = a.task;
  } else {
    csv = a.dataset;
    if (folds_path.empty()) {
      std::filesystem::path guess = csv;
      guess.replace_extension(".folds.json");
      if (!std::filesystem::exists(guess))
        throw InvalidArgument("--dataset " + csv.string() + ": give the folds file (--folds FILE.folds.json); " +
                              guess.string() + " does not exist");
      folds_file = guess;
    } else {
      folds_file = folds_path;
    }
    label = csv.stem().string();
  }

  const MatbenchFolds folds = read_matbench_folds(folds_file);
  std::string target = a.target.empty() ? folds.target : a.target;
  CsvImportOptions io;
  if (!target.empty()) io.targets = {target};
  const Dataset data = read_dataset(csv, io);
  if (target.empty()) {
    if (data.targets.size() != 1)
      throw InvalidArgument(csv.string() + ": " + std::to_string(data.targets.size()) +
                            " target columns; name one with --target");
    target = data.targets[0].name;
  }

  MatbenchOptions opt;
  opt.model = a.model;
  opt.features = a.features;
  opt.transform = a.transform;
  opt.gp_options = a.gp_options;
  opt.ensemble_options = a.ensemble_options;
  opt.forest_options = a.forest_options;
  opt.boost_options = a.boost_options;
  opt.seed = a.seed;
  opt.folds = subset;
  opt.threads = a.threads;
  opt.inner_folds = a.inner_folds;
  opt.recalibrate = !a.no_recalibrate;
  opt.quantile_recalibration = !a.no_quantile_recalibration;
  opt.pool = a.pool;
  if (a.inner_refit && a.no_inner_refit) throw InvalidArgument("--inner-refit and --no-inner-refit contradict each other");
  if (a.inner_refit) opt.inner_refit = true;
  if (a.no_inner_refit) opt.inner_refit = false;
  opt.hurdle_gate = a.hurdle_gate;
  opt.results_path = a.output;
  opt.dataset_label = label;

  std::unique_ptr<Progress> progress;
  auto on_start = [&](std::size_t to_run) {
    if (to_run == 0) log_warn("every requested fold is already in " + a.output + ": nothing to run");
    progress = std::make_unique<Progress>(label + " folds", to_run);
    progress->update(0, "fold 1/" + std::to_string(to_run) + " running");
  };
  auto on_fold = [&](const MatbenchFoldResult& f, std::size_t done, std::size_t total) {
    const auto it = f.metrics.find(f.metrics.count("mae") ? "mae" : "rocauc_matbench");
    char buf[160];
    std::snprintf(buf, sizeof buf, "fold %zu done (%s %.4g, %.1f s)", f.fold, it->first.c_str(), it->second, f.seconds);
    log_info(buf);
    if (progress) progress->update(done, done < total ? std::string(buf) : std::string());
  };
  const MatbenchRun result = run_matbench(data, target, folds, opt, on_fold, on_start);
  if (progress) progress->finish();
  std::fputs(format_matbench_table(result).c_str(), stdout);
  if (!a.output.empty()) std::printf("results: %s\n", a.output.c_str());
}

}  // namespace

void register_bench_matbench(CLI::App& bench, Context& ctx) {
  (void)ctx;
  auto args = std::make_shared<MatbenchArgs>();
  auto* cmd = bench.add_subcommand("matbench", "Matbench tasks with the official folds: comparable scores");
  cmd->add_option("--task", args->task,
                  "Matbench task shipped in data/matbench (matbench_steels, matbench_expt_gap, "
                  "matbench_expt_is_metal, matbench_mp_e_form)");
  cmd->add_option("--dataset", args->dataset, "Any dataset in the same format (CSV: composition column + target)");
  cmd->add_option("--folds", args->folds,
                  "Folds to run, e.g. 0,2 (default: all); or, with --dataset, the FILE.folds.json "
                  "(default: the dataset's name with .folds.json)");
  cmd->add_option("--folds-file", args->folds_file, "The .folds.json file (explicit form)");
  cmd->add_option("--target", args->target, "Target column (default: the folds file's \"target\")");
  cmd->add_option("--model", args->model,
                  "auto (the engine `matopt train` fits: its default candidates, docs/auto.md) | gp | ensemble | "
                  "forest | boost, or several separated by ',' (the engine's candidates, chosen per fold by inner CV)")
      ->capture_default_str();
  cmd->add_option("--features", args->features,
                  "Feature spec, e.g. magpie+stoichiometry+valence_orbital; several separated by ',' are candidates "
                  "chosen per fold by inner CV (default: each auto candidate its own; "
                  "magpie+stoichiometry+valence_orbital for named models)");
  cmd->add_option("--transform", args->transform,
                  "Regression target transform: none | log1p | hurdle (zero-inflated targets: P(y > 0) model + "
                  "log1p model of the y > 0 rows) | auto (chosen per fold by inner CV; hurdle is a candidate when "
                  ">= 5 % of the training targets are 0); default auto with --model auto, else none")
      ->check(CLI::IsMember({"none", "log1p", "hurdle", "auto"}));
  cmd->add_option("--hurdle-gate", args->hurdle_gate,
                  "The hurdle's model of P(y > 0): model (the candidate's own model of the 0/1 label) | pool (the "
                  "average of a GP gate and a deep-ensemble classifier) | auto (both, chosen by inner CV)")
      ->check(CLI::IsMember({"model", "pool", "auto"}))
      ->capture_default_str();
  cmd->add_option("--gp-options", args->gp_options, "GP options as JSON (see docs/models.md)");
  cmd->add_option("--ensemble-options", args->ensemble_options, "Deep-ensemble options as JSON");
  cmd->add_option("--forest-options", args->forest_options,
                  "Random-forest options as JSON (see docs/models.md); extremely randomized trees: "
                  "{\"split\":\"random\",\"bootstrap\":false,\"max_features\":1}");
  cmd->add_option("--boost-options", args->boost_options,
                  "Gradient-boosting options as JSON (see docs/models.md), e.g. {\"loss\":\"absolute\",\"rounds\":3000}");
  cmd->add_option("--inner-folds", args->inner_folds,
                  "Inner CV folds on each training fold (model choice, σ recalibration); 0 = off")
      ->capture_default_str();
  cmd->add_flag("--inner-refit", args->inner_refit,
                "Inner CV refits every model from scratch, GP hyperparameters included (honest inner-CV scores "
                "and residuals; K + 1 hyperparameter searches per GP candidate instead of 1; the default with "
                "--model auto)");
  cmd->add_flag("--no-inner-refit", args->no_inner_refit,
                "Inner CV reuses the GP hyperparameters fitted on the whole training fold (cheaper, optimistic)");
  cmd->add_option("--pool", args->pool,
                  "Also consider the equal-weight pool of the K best candidates (by inner CV) sharing the best "
                  "one's transform; used when its inner-CV score is better. 0 = off (default 3 with --model auto, "
                  "else 0)");
  cmd->add_flag("--no-recalibrate", args->no_recalibrate, "Do not recalibrate on inner-CV predictions (σ, the hurdle's P(y > 0) and GP classification probabilities stay raw, and no quantile recalibration; this also changes the point prediction)");
  cmd->add_flag("--no-quantile-recalibration", args->no_quantile_recalibration,
                "Regression: recalibrate σ (and the hurdle's P(y > 0)) only, without the quantile map of the whole "
                "predictive distribution fitted on the inner-CV PITs (which also moves the point prediction to "
                "the recalibrated median)");
  cmd->add_option("--rescore", args->rescore,
                  "Score the predictions stored in this results file again with this version's scoring (point "
                  "prediction and σ recomputed from the stored distributions) and print the table; -o writes the "
                  "re-scored file");
  cmd->add_option("--combine", args->combine,
                  "Combine the test predictions of these results files (same task and folds, e.g. models run "
                  "with different feature sets) row by row with --rule, score them and print the table; -o "
                  "writes the combined file")
      ->delimiter(',');
  cmd->add_option("--rule", args->rule,
                  "With --combine: median or mean of the point predictions (probabilities for classification); "
                  "σ² is the members' mean of σ_m² + (mean_m − point)²")
      ->check(CLI::IsMember({"median", "mean"}))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("-j,--threads", args->threads, "Folds run concurrently")->capture_default_str();
  cmd->add_option("-o,--output", args->output,
                  "results.json (per-fold metrics + per-row test predictions); an existing file written "
                  "with the same arguments is resumed: finished folds are skipped");
  cmd->callback([args] { run(*args); });
}

}  // namespace matopt::cli
