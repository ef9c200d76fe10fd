// SPDX-License-Identifier: MIT
// `matopt train` and `matopt predict`: CLI wiring for the models layer.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/model.hpp"

namespace matopt::cli {

namespace {

struct TrainArgs {
  std::string data, output, model = "auto", features, kernel, options, composition, id;
  std::vector<std::string> targets, process, elements;
  bool calibrate = false, no_composition = false, no_impute = false;
  int folds = 5;
  std::uint64_t seed = 0;
};

struct PredictArgs {
  std::string model, input, output, id;
  bool no_domain = false;
};

// Folds --kernel into the surrogate's JSON options (explicit JSON keys win over nothing: a clash is an error).
std::string merged_options(const TrainArgs& a) {
  if (a.kernel.empty()) return a.options;
  if (a.model != "gp") throw InvalidArgument("train: --kernel applies to --model gp only");
  (void)kernel_from_string(a.kernel);  // validates, listing the valid names
  nlohmann::json j = nlohmann::json::object();
  if (a.options.find_first_not_of(" \t\r\n") != std::string::npos) {
    try {
      j = nlohmann::json::parse(a.options);
    } catch (const nlohmann::json::exception& e) {
      throw InvalidArgument(std::string("train: --options is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw InvalidArgument("train: --options must be a JSON object");
    if (j.contains("kernel")) throw InvalidArgument("train: give the kernel either with --kernel or in --options");
  }
  j["kernel"] = a.kernel;
  return j.dump();
}

void run_train(const TrainArgs& a) {
  ImportReport report;
  const Dataset data =
      read_dataset(a.data, csv_import_options(a.composition, a.id, a.targets, a.process, a.no_composition), &report);
  print_import_report("train", report, data);

  ModelOptions o;
  o.model = a.model;
  o.surrogate_options = merged_options(a);
  // With the auto engine an explicit --features replaces every default candidate's own feature set.
  if (!a.features.empty()) (a.model == "auto" ? o.auto_features : o.features.features) = a.features;
  o.features.impute_missing = !a.no_impute;
  o.features.elements = a.elements;
  o.calibrate = a.calibrate;
  o.calibration_folds = a.folds;
  o.seed = a.seed;
  const Model m = Model::train(data, a.targets, o);
  for (std::size_t t = 0; t < m.targets().size(); ++t) {
    const TargetInfo& info = m.targets()[t];
    std::string line = "target '" + info.name + "': " + m.surrogate(t).kind() + " on " +
                       std::to_string(info.training_rows) + " rows";
    if (info.calibration.fitted)
      line += ", std recalibration a = " + format_double(info.calibration.a) + ", b = " + format_double(info.calibration.b);
    log_info(line);
  }
  m.save(a.output);
  std::printf("trained %zu target(s) on %zu rows x %zu features -> %s\n", m.targets().size(), data.rows(),
              m.pipeline().size(), a.output.c_str());
}

void run_predict(const PredictArgs& a) {
  const Model m = Model::load(a.model);
  const Dataset data = read_dataset(a.input, model_input_options(m, a.id.empty() ? std::nullopt : std::optional(a.id)));
  const PredictionTable table = prediction_table(m, data, !a.no_domain);

  std::vector<std::string> header{"id"};
  header.insert(header.end(), table.columns.begin(), table.columns.end());
  std::vector<std::vector<std::string>> rows(data.rows());
  for (std::size_t r = 0; r < data.rows(); ++r) {
    auto& row = rows[r];
    row.push_back(data.ids[r]);
    for (Eigen::Index c = 0; c < table.values.cols(); ++c)
      row.push_back(format_double(table.values(static_cast<Eigen::Index>(r), c)));
  }
  write_csv(a.output, header, rows);
  log_info("predict: wrote " + std::to_string(rows.size()) + " rows to " + a.output);
}

}  // namespace

void register_model_commands(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto targs = std::make_shared<TrainArgs>();
  CLI::App* train = app.add_subcommand("train", "Train surrogate models (one per target) and save them with the feature pipeline");
  train->add_option("DATA", targs->data, "Training data (.csv or .h5)")->required();
  train->add_option("--target", targs->targets, "Target column (repeat for several)")->required();
  train->add_option("--model", targs->model,
                    "auto (the engine: candidates chosen by inner cross-validation, recalibrated, with conformal "
                    "intervals; docs/auto.md), gp, ensemble, forest or boost")
      ->check(CLI::IsMember({"auto", "gp", "ensemble", "forest", "boost"}))
      ->capture_default_str();
  train->add_option("--features", targs->features,
                    "Composition featurizers joined by '+', or none (default: magpie; with --model auto each "
                    "candidate its own feature set)");
  train->add_option("--elements", targs->elements,
                    "Element columns of the `fractions` featurizer, e.g. --elements Fe,Ni,Cr (default: the "
                    "training rows' elements)")
      ->delimiter(',');
  train->add_option("--kernel", targs->kernel, "GP kernel: matern52, matern32, matern12 or rbf");
  train->add_option("--options", targs->options, "Surrogate options as JSON (see docs/models.md)");
  train->add_option("--seed", targs->seed, "Random seed");
  train->add_flag("--calibrate", targs->calibrate, "Recalibrate predicted std on cross-validation residuals");
  train->add_option("--folds", targs->folds, "Cross-validation folds for --calibrate")->check(CLI::Range(2, 100));
  train->add_option("--composition", targs->composition, "Composition column (default: detected, as `matopt import` detects it; none found is an error unless --no-composition)");
  train->add_option("--process", targs->process, "Process column used as a feature (repeat)");
  train->add_option("--id", targs->id, "Row id column");
  train->add_flag("--no-composition", targs->no_composition, "The table has no composition column");
  train->add_flag("--no-impute", targs->no_impute, "Keep missing elemental data as NaN (rows then fail)");
  train->add_option("-o,--output", targs->output, "Model file to write (.h5)")->required();
  train->callback([targs] { run_train(*targs); });

  auto pargs = std::make_shared<PredictArgs>();
  CLI::App* predict = app.add_subcommand("predict", "Predict mean and uncertainty with a trained model");
  predict->add_option("--model", pargs->model, "Model file written by `matopt train`")->required();
  predict->add_option("INPUT", pargs->input, "Rows to predict (.csv or .h5)")->required();
  predict->add_option("--id", pargs->id, "Row id column");
  predict->add_option("-o,--output", pargs->output, "Predictions CSV to write")->required();
  predict->add_flag("--no-domain", pargs->no_domain,
                    "Leave out domain_score and in_domain (each costs one distance per stored training row)");
  predict->callback([pargs] { run_predict(*pargs); });
}

}  // namespace matopt::cli
