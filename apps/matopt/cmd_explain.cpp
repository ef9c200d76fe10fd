// SPDX-License-Identifier: MIT
// `matopt explain`: CLI wiring for models/explain.hpp and models/tree_shap.hpp.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/explain.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "matopt/models/model.hpp"
#include "matopt/models/random_forest.hpp"

namespace matopt::cli {

namespace {

struct ExplainArgs {
  std::string model, data, output, id;
  std::size_t rows = 1000, background = 100;
  int repeats = 5, points = 11, top = 10;
  std::uint64_t seed = 0;
};

void print_ranking(const char* title, const std::vector<GroupImportance>& v, int top) {
  std::printf("%s\n", title);
  for (int k = 0; k < top && k < static_cast<int>(v.size()); ++k)
    std::printf("  %2d. %-36s %.4g (± %.2g)\n", k + 1, v[static_cast<std::size_t>(k)].group.c_str(),
                v[static_cast<std::size_t>(k)].mean, v[static_cast<std::size_t>(k)].std);
}

void write_ranking(const std::filesystem::path& file, const char* value, const std::vector<GroupImportance>& v) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : v) rows.push_back({g.group, format_double(g.mean), format_double(g.std)});
  write_csv(file, {"group", value, std::string(value) + "_std"}, rows);
}

// Exact TreeSHAP when the target's model is a forest or boosting (also inside the auto engine's
// choice when that is one model); nullopt otherwise.
std::optional<ShapValues> tree_shap(const Surrogate& s, const Eigen::MatrixXd& X, const Eigen::MatrixXd& background) {
  if (const auto* f = dynamic_cast<const RandomForest*>(&s)) return f->shap_values(X, background);
  if (const auto* b = dynamic_cast<const GradientBoosting*>(&s)) return b->shap_values(X, background);
  return std::nullopt;
}

void explain_target(const Model& m, std::size_t t, const Dataset& data, const Eigen::MatrixXd& X, const ExplainArgs& a,
                    const std::filesystem::path& dir) {
  const std::string name = m.targets()[t].name;
  const FeatureGroups groups = group_features(m.pipeline().labels());
  std::printf("target '%s' (%s, %lld rows)\n", name.c_str(), m.surrogate(t).kind().c_str(), static_cast<long long>(X.rows()));
  Eigen::VectorXd y;
  for (const auto& c : data.targets)
    if (c.name == name) y = data.target_vector(name);
  if (y.size() && !y.allFinite()) y.resize(0);  // rows without a value: importance by prediction change
  auto predict = [&](const Eigen::MatrixXd& P) { return m.predict_features(P).at(t).mean; };
  const auto imp = permutation_importance(predict, X, y, groups, a.repeats, a.seed);
  print_ranking(y.size() ? "  permutation importance (MAE increase):" : "  permutation importance (mean |change of prediction|):", imp, a.top);
  write_ranking(dir / ("importance_" + name + ".csv"), "mae_increase", imp);

  const auto bg_rows = sample_indices(static_cast<std::size_t>(X.rows()), a.background, derive_seed(a.seed, 0xB6));
  const auto t0 = std::chrono::steady_clock::now();
  if (const auto shap = tree_shap(m.surrogate(t), X, X(bg_rows, Eigen::all))) {
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto by_group = shap_group_importance(shap->phi, groups);
    print_ranking("  TreeSHAP, mean |contribution| per family:", by_group, a.top);
    std::printf("  (exact TreeSHAP: %lld rows x %zu background rows in %.2f s; expected value %s)\n",
                static_cast<long long>(X.rows()), bg_rows.size(), sec, format_double(shap->expected_value).c_str());
    write_ranking(dir / ("shap_importance_" + name + ".csv"), "mean_abs_shap", by_group);
    std::vector<std::string> header{"id", "prediction", "expected_value"};
    for (const auto& l : m.pipeline().labels()) header.push_back(l);
    const Eigen::VectorXd pred = predict(X);
    std::vector<std::vector<std::string>> rows;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      std::vector<std::string> r{data.ids[static_cast<std::size_t>(i)], format_double(pred[i]), format_double(shap->expected_value)};
      for (Eigen::Index c = 0; c < X.cols(); ++c) r.push_back(format_double(shap->phi(i, c)));
      rows.push_back(std::move(r));
    }
    write_csv(dir / ("shap_" + name + ".csv"), header, rows);
  } else {
    std::printf("  TreeSHAP: not available for a %s model (forest and boost only)\n", m.surrogate(t).kind().c_str());
  }

  if (!data.has_composition()) return;
  std::vector<std::vector<std::string>> pd_rows;
  std::vector<GroupImportance> swing;  // elements by how far their fraction moves the mean prediction
  for (const auto& pd : element_partial_dependence(m, t, data, a.points)) {
    for (std::size_t k = 0; k < pd.fraction.size(); ++k)
      pd_rows.push_back({pd.element, format_double(pd.fraction[k]), format_double(pd.mean[k])});
    const auto [lo, hi] = std::minmax_element(pd.mean.begin(), pd.mean.end());
    swing.push_back({pd.element, *hi - *lo, 0.0});
  }
  std::stable_sort(swing.begin(), swing.end(), [](const auto& x, const auto& y) { return x.mean > y.mean; });
  std::printf("  partial dependence, range of the mean prediction over each element's fraction (0 .. its largest):\n");
  for (int k = 0; k < a.top && k < static_cast<int>(swing.size()); ++k)
    std::printf("  %2d. %-36s %.4g\n", k + 1, swing[static_cast<std::size_t>(k)].group.c_str(), swing[static_cast<std::size_t>(k)].mean);
  write_csv(dir / ("partial_dependence_" + name + ".csv"), {"element", "fraction", name + "_mean"}, pd_rows);
}

void run(const ExplainArgs& a) {
  const Model m = Model::load(a.model);
  const Dataset all = read_dataset(a.data, model_input_options(m, a.id.empty() ? std::nullopt : std::optional(a.id)));
  const std::vector<std::size_t> rows = sample_indices(all.rows(), a.rows, a.seed);
  if (rows.size() < all.rows())
    std::fprintf(stderr, "explain: %zu of %zu rows (a seeded sample; --rows)\n", rows.size(), all.rows());
  const Dataset data = all.subset(rows);
  const Eigen::MatrixXd X = m.features(data);
  const std::filesystem::path dir = a.output.empty() ? std::filesystem::path("explain") : std::filesystem::path(a.output);
  std::filesystem::create_directories(dir);
  for (std::size_t t = 0; t < m.targets().size(); ++t) explain_target(m, t, data, X, a, dir);
  std::printf("tables: %s\n", dir.string().c_str());
}

}  // namespace

void register_explain_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto a = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand("explain",
                                 "What drives a trained model: permutation importance per feature family, exact TreeSHAP "
                                 "(forest, boost), partial dependence on each element (docs/explain.md)");
  cmd->add_option("MODEL", a->model, "Model file written by `matopt train`")->required();
  cmd->add_option("DATA", a->data, "Rows to explain (.csv or .h5); with the target column, importance is an MAE increase")->required();
  cmd->add_option("-o,--output", a->output, "Directory for the CSV tables (default: explain/)");
  cmd->add_option("--rows", a->rows, "Most rows explained (a seeded sample of DATA)")->capture_default_str();
  cmd->add_option("--background", a->background, "Background rows of TreeSHAP's expected value (a seeded sample)")->capture_default_str();
  cmd->add_option("--repeats", a->repeats, "Permutations per feature family")->capture_default_str();
  cmd->add_option("--points", a->points, "Grid points of each element's partial dependence")->capture_default_str();
  cmd->add_option("--top", a->top, "Families printed per ranking")->capture_default_str();
  cmd->add_option("--id", a->id, "Id column");
  cmd->add_option("--seed", a->seed, "Seed of the samples and permutations")->capture_default_str();
  cmd->callback([a] { run(*a); });
}

}  // namespace matopt::cli
