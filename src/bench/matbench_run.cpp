// SPDX-License-Identifier: MIT
// Matbench runner: a thin driver. Per outer fold it trains the models layer's engine (Model::train,
// exactly what `matopt train` runs) on the training rows, predicts the test rows, and scores them.
// Test rows are never seen before the final prediction.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "bench/matbench_internal.hpp"
#include "matopt/bench/matbench.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/auto_model.hpp"
#include "matopt/models/deep_ensemble.hpp"
#include "matopt/models/distribution.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "matopt/models/model.hpp"
#include "matopt/models/random_forest.hpp"

namespace matopt {

namespace {

using Json = nlohmann::ordered_json;

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

// Fingerprint of the data a run depends on (formulas, targets, folds), so that a results file is only
// resumed against the same inputs.
std::string data_fingerprint(const Dataset& data, const Eigen::VectorXd& y, const MatbenchFolds& folds) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    const std::string f = data.has_composition() ? data.compositions[i].formula(12) : data.ids[i];
    h = fnv1a(h, f.data(), f.size() + 1);
    const double v = y[static_cast<Eigen::Index>(i)];
    h = fnv1a(h, &v, sizeof v);
  }
  for (const auto* sets : {&folds.test, &folds.train})
    for (const auto& t : *sets) {
      const std::size_t n = t.size();
      h = fnv1a(h, &n, sizeof n);
      h = fnv1a(h, t.data(), t.size() * sizeof(std::size_t));
    }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string normalized_json(const std::string& text, const char* what) {
  if (text.empty()) return "{}";
  try {
    return Json::parse(text).dump();
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string(what) + " is not valid JSON: " + e.what());
  }
}

// The parts of a comma-separated option value, empty parts included (the caller says what is wrong).
std::vector<std::string> split_at_commas(const std::string& text) {
  std::vector<std::string> parts;
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return parts;
}

constexpr const char* kDefaultFeatures = "magpie+stoichiometry+valence_orbital";

// The benchmark's options with every default resolved.
struct Resolved {
  bool is_auto = false;
  std::vector<std::string> models;        // named models (empty for auto)
  std::vector<std::string> feature_sets;  // named feature sets (empty: the engine's per-candidate sets)
  std::string transform;
  std::size_t pool = 0;
  bool inner_refit = false;
};

Resolved resolve(const MatbenchOptions& o) {
  Resolved r;
  r.is_auto = o.model == "auto";
  if (!r.is_auto)
    for (const std::string& m : split_at_commas(o.model)) {
      if (m != "gp" && m != "ensemble" && m != "forest" && m != "boost")
        throw InvalidArgument("unknown model '" + m + "' in '" + o.model +
                              "' (valid: auto, or gp, ensemble, forest, boost and comma-separated lists of them)");
      if (std::find(r.models.begin(), r.models.end(), m) != r.models.end())
        throw InvalidArgument("model '" + m + "' is listed twice in '" + o.model + "'");
      r.models.push_back(m);
    }
  const std::string features = o.features.empty() && !r.is_auto ? kDefaultFeatures : o.features;
  if (!features.empty()) r.feature_sets = split_at_commas(features);
  for (const std::string& fs : r.feature_sets)
    if (fs.empty()) throw InvalidArgument("features '" + features + "': empty feature set in the list");
  if (r.is_auto && r.feature_sets.size() > 1)
    throw InvalidArgument("--model auto takes one feature set for every candidate (or none: each its own); got '" +
                          o.features + "'");
  r.transform = !o.transform.empty() ? o.transform : (r.is_auto ? "auto" : "none");
  if (r.transform != "none" && r.transform != "log1p" && r.transform != "hurdle" && r.transform != "auto")
    throw InvalidArgument("unknown transform '" + r.transform + "' (valid: none, log1p, hurdle, auto)");
  r.pool = o.pool >= 0 ? static_cast<std::size_t>(o.pool) : (r.is_auto ? 3 : 0);
  r.inner_refit = o.inner_refit.value_or(r.is_auto);
  return r;
}

void validate(const MatbenchOptions& o, const Resolved& r) {
  if (o.inner_folds == 1 || o.inner_folds < 0)
    throw InvalidArgument("inner folds must be 0 (off) or >= 2 (got " + std::to_string(o.inner_folds) + ")");
  const bool choosing = r.is_auto || r.models.size() * std::max<std::size_t>(1, r.feature_sets.size()) > 1 ||
                        r.transform == "auto" || o.hurdle_gate == "auto";
  if (o.inner_folds == 0 && choosing)
    throw InvalidArgument("--model auto, lists of models or feature sets, --transform auto and --hurdle-gate auto "
                          "choose by inner cross-validation: inner folds must be >= 2");
  if (o.inner_folds == 0 && (r.pool >= 2 || r.inner_refit))
    throw InvalidArgument(std::string(r.pool >= 2 ? "pooling candidates" : "refitting in inner CV") +
                          " needs inner cross-validation: inner folds must be >= 2");
  if (o.threads < 1) throw InvalidArgument("threads must be >= 1 (got " + std::to_string(o.threads) + ")");
  if (o.hurdle_gate != "model" && o.hurdle_gate != "pool" && o.hurdle_gate != "auto")
    throw InvalidArgument("unknown hurdle gate '" + o.hurdle_gate + "' (valid: model, pool, auto)");
  const bool lists_ensemble = std::find(r.models.begin(), r.models.end(), "ensemble") != r.models.end();
  if (lists_ensemble || o.hurdle_gate != "model") {
    std::string why;
    if (!deep_ensemble_available(&why))
      throw BackendError((lists_ensemble ? "--model " + o.model : "--hurdle-gate " + o.hurdle_gate) +
                         ": the deep ensemble is not available: " + why);
  }
  auto uses = [&](const char* m) { return std::find(r.models.begin(), r.models.end(), m) != r.models.end(); };
  // Checked before any work: bad options fail the run at once, not in fold 1.
  if (uses("forest")) (void)ForestOptions::from_json(o.forest_options);
  else if (!o.forest_options.empty()) log_warn("forest options given, but no forest is among the models: ignored");
  if (uses("boost")) (void)BoostOptions::from_json(o.boost_options);
  else if (!o.boost_options.empty()) log_warn("boost options given, but boost is not among the models: ignored");
}

std::string options_of(const MatbenchOptions& o, const std::string& model) {
  if (model == "gp") return normalized_json(o.gp_options, "GP options");
  if (model == "forest") return normalized_json(o.forest_options, "forest options");
  if (model == "boost") return normalized_json(o.boost_options, "boost options");
  return normalized_json(o.ensemble_options, "ensemble options");
}

// What the run asks `matopt train` for: the engine's options (candidates, transform, inner CV).
ModelOptions engine_options(const MatbenchOptions& o, const Resolved& r, const Dataset& data, int threads) {
  AutoOptions a;
  for (const std::string& fs : r.feature_sets)
    for (const std::string& m : r.models) {
      const std::string opts = options_of(o, m);
      a.candidates.push_back({m, opts == "{}" ? std::string() : opts, fs, ""});
    }
  if (r.is_auto && !r.feature_sets.empty()) a.features = r.feature_sets.front();
  a.transform = r.transform;
  a.inner_folds = o.inner_folds;
  a.pool = r.pool;
  a.inner_refit = r.inner_refit;
  a.recalibrate = o.recalibrate;
  a.quantile_recalibration = o.quantile_recalibration;
  a.hurdle_gate = o.hurdle_gate;
  const std::string gate = normalized_json(o.ensemble_options, "ensemble options");
  a.gate_options = gate == "{}" ? std::string() : gate;
  a.choose_threshold = r.is_auto;
  a.threads = threads;
  ModelOptions mo;
  mo.model = "auto";
  mo.surrogate_options = a.to_json();
  // The `fractions` columns: every element of the dataset's compositions (inputs, never targets), so
  // that a test row may hold an element no training row of its fold has.
  for (const int z : data.elements()) mo.features.elements.emplace_back(element_symbol(z));
  mo.seed = o.seed;
  return mo;
}

// The engine's choice as the results file records it.
void record_choice(const AutoModel& engine, bool classification, MatbenchFoldResult& res) {
  const AutoReport& rep = engine.report();
  const std::vector<TransformedModel>& members = engine.members();
  const CandidateSpec& lead = members.front().spec();
  res.transform = classification ? std::string() : to_string(lead.transform);
  for (const auto& [name, score] : rep.inner_cv) res.inner_cv[name] = score;
  if (members.size() == 1) {
    res.model = lead.model;
    res.features = lead.features;
    if (lead.gate == "pool") res.gate = "pool";
  } else {
    res.model = "pool";
    res.pool = rep.members;
    std::vector<std::string> sets;
    for (const auto& m : members)
      if (std::find(sets.begin(), sets.end(), m.spec().features) == sets.end()) sets.push_back(m.spec().features);
    for (const auto& s : sets) res.features += (res.features.empty() ? "" : ",") + s;
  }
  if (classification) {
    if (rep.probability.fitted) std::tie(res.calibration_a, res.calibration_b) = std::pair{rep.probability.a, rep.probability.b};
    res.threshold = rep.threshold;
    return;
  }
  res.calibration_a = rep.sigma_a;
  res.calibration_b = rep.sigma_b;
  if (lead.transform == TargetTransform::Hurdle && rep.probability.fitted) {
    res.gate_calibration_a = rep.probability.a;
    res.gate_calibration_b = rep.probability.b;
  }
  res.quantile_calibration = rep.quantiles;
  if (rep.conformal.fitted) {
    res.conformal_q = rep.conformal.q;
    res.conformal_coverage = rep.conformal.coverage;
  }
}

struct FoldPlan {
  const MatbenchOptions& options;
  MatbenchTaskType type;
  std::string target;
  ModelOptions model;
};

MatbenchFoldResult run_fold(const FoldPlan& plan, const Dataset& data, const Eigen::VectorXd& y,
                            const MatbenchFolds& folds, std::size_t k) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const std::vector<std::size_t> train = matbench_train_rows(folds, k, data.rows());
  const std::vector<std::size_t> test = folds.test[k];
  log_info("fold " + std::to_string(k) + ": " + std::to_string(train.size()) + " train / " +
           std::to_string(test.size()) + " test rows");
  const Model model = Model::train(data.subset(train), {plan.target}, plan.model);
  const Prediction p = model.predict(data.subset(test))[0];
  const PredictiveDistribution d = distribution_of(p);

  MatbenchFoldResult res;
  res.fold = k;
  if (k < folds.labels.size()) res.label = folds.labels[k];
  res.n_train = train.size();
  res.rows = test;
  res.y_true.resize(static_cast<Eigen::Index>(test.size()));
  for (std::size_t i = 0; i < test.size(); ++i)
    res.y_true[static_cast<Eigen::Index>(i)] = y[static_cast<Eigen::Index>(test[i])];
  const bool classification = plan.type == MatbenchTaskType::Classification;
  record_choice(dynamic_cast<const AutoModel&>(model.surrogate(0)), classification, res);
  if (classification) {
    res.mean = d.probability;
    res.metrics = matbench_internal::metrics_map(score_matbench_classification(res.y_true, res.mean, res.threshold));
  } else {
    res.mean = p.mean;
    res.std = p.std();
    res.loc = d.loc;
    res.scale = d.scale;
    res.log_space = d.kind == DistributionKind::Log1pNormal || d.kind == DistributionKind::Hurdle;
    if (d.kind == DistributionKind::Hurdle) res.p_positive = d.p_positive;
    res.metrics = matbench_internal::metrics_map(score_matbench_regression(
        res.y_true, res.mean, res.std, res.p_positive, res.loc, res.scale, res.log_space, res.quantile_calibration));
    if (!std::isnan(res.conformal_q))
      res.metrics["conformal_coverage"] = matbench_internal::conformal_coverage(res.y_true, res.mean, res.std, res.conformal_q);
  }
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return res;
}

// Names of the signature fields that differ, for the resume error message.
std::string signature_diff(const std::string& a, const std::string& b) {
  const Json ja = Json::parse(a), jb = Json::parse(b);
  std::string out;
  std::set<std::string> keys;
  for (const auto& [k, v] : ja.items()) keys.insert(k);
  for (const auto& [k, v] : jb.items()) keys.insert(k);
  for (const auto& k : keys) {
    const Json va = ja.contains(k) ? ja[k] : Json(), vb = jb.contains(k) ? jb[k] : Json();
    if (va != vb) out += (out.empty() ? "" : ", ") + k + ": " + va.dump() + " in the file vs " + vb.dump() + " now";
  }
  return out;
}

}  // namespace

MatbenchRun run_matbench(const Dataset& data, const std::string& target, const MatbenchFolds& folds,
                         const MatbenchOptions& options, const MatbenchFoldCallback& on_fold,
                         const MatbenchStartCallback& on_start) {
  const Resolved resolved = resolve(options);
  validate(options, resolved);

  const std::string label = options.dataset_label.empty() ? folds.task : options.dataset_label;
  const Column& col = data.target(target);
  MatbenchRun run;
  run.task = label;
  run.target = target;
  run.type = detect_matbench_task_type(col, label);
  run.n_rows = data.rows();
  run.n_folds = folds.test.size();
  validate_matbench_folds(folds, data.rows(), label.empty() ? "folds" : label + " folds");
  if (folds.partition && data.rows() < 2 * folds.test.size())
    throw DataError(label + ": too few rows (" + std::to_string(data.rows()) + ") for " +
                    std::to_string(folds.test.size()) + " folds");

  std::vector<std::size_t> selected = options.folds;
  if (selected.empty())
    for (std::size_t k = 0; k < folds.test.size(); ++k) selected.push_back(k);
  std::sort(selected.begin(), selected.end());
  selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
  for (std::size_t k : selected)
    if (k >= folds.test.size())
      throw InvalidArgument("fold " + std::to_string(k) + " does not exist (valid: 0.." +
                            std::to_string(folds.test.size() - 1) + ")");

  const Eigen::VectorXd y = data.target_vector(target);
  run.duplicates = find_duplicate_compositions(data, y);
  if (run.duplicates.conflicting_groups > 0) {
    std::string ex;
    for (const auto& e : run.duplicates.examples) ex += (ex.empty() ? "" : ", ") + e;
    log_warn(label + ": " + std::to_string(run.duplicates.conflicting_groups) +
             " duplicate compositions with conflicting targets (" + std::to_string(run.duplicates.conflicting_rows) +
             " rows, e.g. " + ex + "); kept, as Matbench does");
  }

  // Everything that changes the numbers goes into the signature; -j and --folds do not.
  Json sig;
  sig["dataset"] = label;
  sig["target"] = target;
  sig["n_rows"] = data.rows();
  sig["data_fingerprint"] = data_fingerprint(data, y, folds);
  sig["model"] = options.model;
  sig["features"] = options.features;
  sig["gp_options"] = normalized_json(options.gp_options, "GP options");
  sig["ensemble_options"] = normalized_json(options.ensemble_options, "ensemble options");
  sig["transform"] = run.type == MatbenchTaskType::Regression ? resolved.transform : "";
  sig["seed"] = options.seed;
  sig["inner_folds"] = options.inner_folds;
  sig["recalibrate"] = options.recalibrate;
  sig["quantile_recalibration"] = options.quantile_recalibration;
  if (resolved.pool >= 2) sig["pool"] = resolved.pool;
  if (resolved.inner_refit) sig["inner_refit"] = true;
  if (options.hurdle_gate != "model") sig["hurdle_gate"] = options.hurdle_gate;
  if (!options.forest_options.empty()) sig["forest_options"] = normalized_json(options.forest_options, "forest options");
  if (!options.boost_options.empty()) sig["boost_options"] = normalized_json(options.boost_options, "boost options");
  // Version 3: every fold trains the models layer's engine (Model::train), which `matopt train` runs.
  // Folds of files written by older runners are not mixed with these.
  sig["method"] = 3;
  run.signature = sig.dump();

  if (!options.results_path.empty() && std::filesystem::exists(options.results_path)) {
    MatbenchRun prev = read_matbench_results(options.results_path);
    if (prev.signature != run.signature)
      throw InvalidArgument(options.results_path.string() +
                            " holds results of a run with other arguments (" + signature_diff(prev.signature, run.signature) +
                            "); use another -o file or remove it to start afresh");
    run.folds = std::move(prev.folds);
    for (const auto& f : run.folds) log_info("fold " + std::to_string(f.fold) + " already finished in " +
                                             options.results_path.string() + ": skipped");
  }
  std::vector<std::size_t> todo;
  for (std::size_t k : selected)
    if (std::none_of(run.folds.begin(), run.folds.end(), [&](const MatbenchFoldResult& f) { return f.fold == k; }))
      todo.push_back(k);

  if (on_start) on_start(todo.size());
  // Concurrent folds share the cores: each model gets its share of threads unless told otherwise.
  const int per_fold_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) /
                                               std::max(1, std::min(options.threads, static_cast<int>(todo.size()))));
  const FoldPlan ctx{options, run.type, target,
                     engine_options(options, resolved, data, options.threads > 1 ? per_fold_threads : 0)};

  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::size_t done = 0;
  auto worker = [&] {
    for (;;) {
      if (failed.load()) return;
      const std::size_t idx = next.fetch_add(1);
      if (idx >= todo.size()) return;
      try {
        MatbenchFoldResult r = run_fold(ctx, data, y, folds, todo[idx]);
        std::lock_guard<std::mutex> lock(mu);
        auto pos = std::lower_bound(run.folds.begin(), run.folds.end(), r.fold,
                                    [](const MatbenchFoldResult& f, std::size_t k) { return f.fold < k; });
        run.folds.insert(pos, std::move(r));
        if (!options.results_path.empty()) write_matbench_results(run, options.results_path);
        ++done;
        if (on_fold) on_fold(*std::find_if(run.folds.begin(), run.folds.end(),
                                           [&](const MatbenchFoldResult& f) { return f.fold == todo[idx]; }),
                             done, todo.size());
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  const int n_threads = std::max(1, std::min(options.threads, static_cast<int>(todo.size())));
  if (n_threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < n_threads; ++t) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  if (error) std::rethrow_exception(error);
  return run;
}

}  // namespace matopt
