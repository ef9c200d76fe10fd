// SPDX-License-Identifier: MIT
#include "matopt/models/model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "matopt/core/archive.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/auto_model.hpp"
#include "matopt/models/deep_ensemble.hpp"
#include "matopt/models/domain.hpp"
#include "matopt/models/gaussian_process.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

constexpr const char* kFormat = "matopt-model";
constexpr std::int64_t kVersion = 1;

AutoOptions auto_options(const ModelOptions& o) {
  AutoOptions a = AutoOptions::from_json(o.surrogate_options);
  if (!o.auto_features.empty()) {
    if (!a.features.empty())
      throw InvalidArgument("train: give the auto model's features either as features or in its options, not both");
    a.features = o.auto_features;
  }
  return a;
}

std::unique_ptr<Surrogate> new_surrogate(const ModelOptions& o, bool classification, std::uint64_t seed) {
  if (o.model == "ensemble" && classification) return make_deep_ensemble(o.surrogate_options, seed, true);
  if (o.model == "auto") {
    AutoOptions a = auto_options(o);
    a.classification = classification;
    return std::make_unique<AutoModel>(std::move(a), seed);
  }
  return make_surrogate(o.model, o.surrogate_options, seed);
}

// A model for one cross-validation fold. GP folds reuse the hyperparameters fitted on all rows (the
// fold posterior is what matters for the residuals, and re-optimizing k times would cost k fits).
std::unique_ptr<Surrogate> fold_surrogate(const Surrogate& fitted, const ModelOptions& o, bool classification,
                                          std::uint64_t seed) {
  if (const auto* gp = dynamic_cast<const GaussianProcess*>(&fitted)) {
    GPOptions g = gp->options();
    g.optimize = false;
    const VectorXd l = gp->length_scales();
    g.length_scales.assign(l.data(), l.data() + l.size());
    g.signal_variance = gp->signal_variance();
    g.noise_variance = gp->noise_variance();
    return std::make_unique<GaussianProcess>(g, seed);
  }
  return new_surrogate(o, classification, seed);
}

// The featurizer names of a '+'-joined spec, in order ("" and "none": none).
std::vector<std::string> spec_parts(const std::string& spec) {
  std::vector<std::string> parts;
  if (spec.empty() || spec == "none") return parts;
  for (std::size_t pos = 0; pos <= spec.size();) {
    std::size_t end = spec.find('+', pos);
    if (end == std::string::npos) end = spec.size();
    std::string part = spec.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    parts.push_back(part);
    pos = end + 1;
  }
  return parts;
}

// The auto engine's candidates of every target read their own feature sets: one pipeline holds the
// union of them (featurizers in order of first use), and each spec maps to its blocks of columns
// plus the process columns.
struct FeaturePlan {
  std::string union_spec;
  std::vector<std::string> specs;  // distinct candidate specs
};

FeaturePlan plan_features(const std::vector<std::vector<AutoCandidate>>& per_target) {
  FeaturePlan plan;
  std::vector<std::string> names;
  for (const auto& cands : per_target)
    for (const auto& c : cands) {
      if (c.features.empty()) continue;
      if (std::find(plan.specs.begin(), plan.specs.end(), c.features) == plan.specs.end()) plan.specs.push_back(c.features);
      for (const auto& part : spec_parts(c.features))
        if (std::find(names.begin(), names.end(), part) == names.end()) names.push_back(part);
    }
  for (const auto& n : names) plan.union_spec += (plan.union_spec.empty() ? "" : "+") + n;
  return plan;
}

std::map<std::string, std::vector<Index>> resolve_columns(const FeaturePlan& plan, const PipelineOptions& base,
                                                          const Dataset& data, const Pipeline& fitted) {
  std::map<std::string, std::pair<Index, Index>> block;  // featurizer -> (first column, count)
  Index offset = 0;
  for (const auto& part : spec_parts(plan.union_spec)) {
    PipelineOptions one = base;
    one.features = part;
    one.use_process = false;
    Pipeline p(one);
    p.fit(data);
    const auto size = static_cast<Index>(p.size());
    block[part] = {offset, size};
    offset += size;
  }
  std::map<std::string, std::vector<Index>> columns;
  for (const auto& spec : plan.specs) {
    std::vector<Index>& cols = columns[spec];
    for (const auto& part : spec_parts(spec))
      for (Index c = 0; c < block[part].second; ++c) cols.push_back(block[part].first + c);
    for (Index c = offset; c < static_cast<Index>(fitted.size()); ++c) cols.push_back(c);  // process columns
  }
  return columns;
}

MatrixXd take_rows(const MatrixXd& X, const std::vector<Index>& rows) {
  MatrixXd out(static_cast<Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = X.row(rows[i]);
  return out;
}

VectorXd take(const VectorXd& v, const std::vector<Index>& rows) {
  VectorXd out(static_cast<Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) out[static_cast<Index>(i)] = v[rows[i]];
  return out;
}

}  // namespace

struct Model::Impl {
  ModelOptions options;
  Pipeline pipeline;
  std::vector<TargetInfo> targets;
  std::vector<std::unique_ptr<Surrogate>> surrogates;
  std::string composition_column;
  std::vector<std::string> process_columns;
  ApplicabilityDomain domain;  ///< of the training rows, in the pipeline's features (unfitted in files before it)
};

Model::Model() : impl_(std::make_unique<Impl>()) {}
Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const std::vector<TargetInfo>& Model::targets() const noexcept { return impl_->targets; }
const Pipeline& Model::pipeline() const noexcept { return impl_->pipeline; }
const ModelOptions& Model::options() const noexcept { return impl_->options; }
const std::string& Model::composition_column() const noexcept { return impl_->composition_column; }
const std::vector<std::string>& Model::process_columns() const noexcept { return impl_->process_columns; }
const Surrogate& Model::surrogate(std::size_t t) const {
  if (t >= impl_->surrogates.size())
    throw InvalidArgument("Model::surrogate: index " + std::to_string(t) + " out of range (" +
                          std::to_string(impl_->surrogates.size()) + " targets)");
  return *impl_->surrogates[t];
}

namespace {

// A target a model cannot learn from is refused rather than fitted to a constant.
void check_learnable(const std::string& name, const Column& col, const std::vector<Index>& rows) {
  constexpr std::size_t kMinRows = 2;
  if (rows.size() < kMinRows)
    throw DataError("train: target '" + name + "' has " + std::to_string(rows.size()) +
                    " row with a value; a model needs at least " + std::to_string(kMinRows));
  const double first = col.values[static_cast<std::size_t>(rows.front())];
  const bool constant = std::all_of(rows.begin(), rows.end(), [&](Index r) {
    return col.values[static_cast<std::size_t>(r)] == first;
  });
  if (constant)
    throw DataError("train: target '" + name + "' has one distinct value (" + format_double(first) + ") in all " +
                    std::to_string(rows.size()) + " rows with a value; there is nothing to learn");
}

}  // namespace

namespace {

// The domain is that of the rows some target was trained on (every feature finite there).
void fit_domain(ApplicabilityDomain& domain, const MatrixXd& X, const Dataset& data,
                const std::vector<std::string>& targets, std::uint64_t seed) {
  std::vector<Index> rows;
  for (Index r = 0; r < X.rows(); ++r) {
    bool any = false;
    for (const auto& t : targets) any = any || std::isfinite(data.target(t).values[static_cast<std::size_t>(r)]);
    if (any && X.row(r).allFinite()) rows.push_back(r);
  }
  if (rows.size() < 2) return;
  DomainOptions o;
  o.seed = derive_seed(seed, 0xD0);
  domain.fit(take_rows(X, rows), o);
}

}  // namespace

Model Model::train(const Dataset& data, const std::vector<std::string>& targets, const ModelOptions& options) {
  if (targets.empty()) throw InvalidArgument("train: no target given (use --target COLUMN)");
  if (options.model != "auto" && options.model != "gp" && options.model != "ensemble" && options.model != "forest" &&
      options.model != "boost")
    throw InvalidArgument("train: unknown model '" + options.model + "' (valid: auto, gp, ensemble, forest, boost)");
  if (options.calibrate && options.calibration_folds < 2)
    throw InvalidArgument("train: calibration_folds must be >= 2");
  if (data.rows() == 0) throw DataError("train: the dataset has no rows");
  for (std::size_t i = 0; i < targets.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (targets[i] == targets[j]) throw InvalidArgument("train: target '" + targets[i] + "' given twice");
  for (const auto& t : targets) (void)data.target(t);  // throws InvalidArgument listing the targets

  Model m;
  Impl& im = *m.impl_;
  im.options = options;
  const bool is_auto = options.model == "auto";
  FeaturePlan plan;
  if (is_auto) {
    // Each target's candidate list depends on its row count and type; the pipeline serves them all.
    const AutoOptions base = auto_options(options);
    std::vector<std::vector<AutoCandidate>> per_target;
    for (const auto& t : targets) {
      const Column& col = data.target(t);
      AutoOptions a = base;
      a.classification = col.type == ColumnType::Boolean;
      const auto rows = static_cast<std::size_t>(
          std::count_if(col.values.begin(), col.values.end(), [](double v) { return std::isfinite(v); }));
      per_target.push_back(effective_candidates(a, rows, /*feature_aware=*/true));
    }
    plan = plan_features(per_target);
  }
  PipelineOptions popt = options.features;
  if (is_auto && !plan.union_spec.empty()) popt.features = plan.union_spec;
  im.pipeline = Pipeline(popt);
  const MatrixXd X = im.pipeline.fit_transform(data);
  const std::map<std::string, std::vector<Index>> feature_columns =
      is_auto ? resolve_columns(plan, popt, data, im.pipeline) : std::map<std::string, std::vector<Index>>{};
  const std::vector<std::string> labels = im.pipeline.labels();
  if (X.cols() == 0)
    throw DataError(std::string("train: the model would have 0 input features (") +
                    (data.has_composition() ? "the feature set gives none" : "no composition column") +
                    (data.process.empty() ? ", no process columns" : "") +
                    "); give a composition column (--composition COL) or process columns (--process COL)");
  im.composition_column = data.composition_column;
  if (options.features.use_process)
    for (const auto& c : data.process) im.process_columns.push_back(c.name);

  const int folds = options.calibrate ? options.calibration_folds : 0;
  Progress progress("train", targets.size() * static_cast<std::size_t>(1 + folds));
  std::size_t step = 0;
  for (std::size_t ti = 0; ti < targets.size(); ++ti) {
    const Column& col = data.target(targets[ti]);
    TargetInfo info;
    info.name = targets[ti];
    info.classification = col.type == ColumnType::Boolean;
    std::vector<Index> rows;
    for (std::size_t r = 0; r < col.values.size(); ++r)
      if (std::isfinite(col.values[r])) rows.push_back(static_cast<Index>(r));
    if (rows.empty()) throw DataError("train: target '" + info.name + "' has no values");
    check_learnable(info.name, col, rows);
    if (rows.size() < col.values.size())
      log_warn("train: target '" + info.name + "': " + std::to_string(col.values.size() - rows.size()) +
               " rows without a value are skipped");
    for (Index r : rows)
      for (Index c = 0; c < X.cols(); ++c)
        if (!std::isfinite(X(r, c)))
          throw DataError(format_location({"", static_cast<std::size_t>(r) + 2, labels[static_cast<std::size_t>(c)],
                                           data.ids[static_cast<std::size_t>(r)]},
                                          "feature is not finite (missing elemental data? try impute_missing)"));
    const MatrixXd Xt = take_rows(X, rows);
    VectorXd yt(static_cast<Index>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) yt[static_cast<Index>(i)] = col.values[static_cast<std::size_t>(rows[i])];
    info.training_rows = rows.size();

    const std::uint64_t seed_t = derive_seed(options.seed, ti);
    auto sur = new_surrogate(options, info.classification, seed_t);
    if (auto* a = dynamic_cast<AutoModel*>(sur.get())) a->set_feature_columns(feature_columns);
    sur->fit(Xt, yt);
    if (const auto* a = dynamic_cast<const AutoModel*>(sur.get()))
      log_info("target '" + info.name + "': auto chose " + a->report().chosen);
    if (const auto* gp = dynamic_cast<const GaussianProcess*>(sur.get()))
      log_info("target '" + info.name + "': " + gp->describe());
    progress.update(++step, info.name);

    if (folds > 0 && is_auto) {
      log_info("train: the auto model recalibrates on its own inner cross-validation; --calibrate is not needed");
      step += static_cast<std::size_t>(folds);
    } else if (folds > 0 && info.classification) {
      log_info("train: target '" + info.name + "' is boolean; std recalibration is skipped");
      step += static_cast<std::size_t>(folds);
    } else if (folds > 0 && static_cast<Index>(rows.size()) < 2 * folds) {
      log_warn("train: target '" + info.name + "' has " + std::to_string(rows.size()) + " rows, fewer than 2 x " +
               std::to_string(folds) + " folds; std recalibration is skipped");
      step += static_cast<std::size_t>(folds);
    } else if (folds > 0) {
      // Seeded k-fold split; held-out residuals and σ feed the NLL fit of σ' = a·σ + b.
      const Index n = yt.size();
      std::vector<Index> perm(static_cast<std::size_t>(n));
      std::iota(perm.begin(), perm.end(), Index{0});
      Rng rng(derive_seed(seed_t, 77));
      for (Index i = n - 1; i > 0; --i)
        std::swap(perm[static_cast<std::size_t>(i)],
                  perm[static_cast<std::size_t>(uniform_index(rng, static_cast<std::uint64_t>(i + 1)))]);
      VectorXd resid(n), sigma(n);
      for (int k = 0; k < folds; ++k) {
        std::vector<Index> tr, te;
        for (Index i = 0; i < n; ++i) (i % folds == k ? te : tr).push_back(perm[static_cast<std::size_t>(i)]);
        auto fs = fold_surrogate(*sur, options, false, derive_seed(seed_t, 1000 + static_cast<std::uint64_t>(k)));
        fs->fit(take_rows(Xt, tr), take(yt, tr));
        const Prediction p = fs->predict(take_rows(Xt, te));
        const VectorXd sd = p.std();
        for (std::size_t i = 0; i < te.size(); ++i) {
          resid[te[i]] = yt[te[i]] - p.mean[static_cast<Index>(i)];
          sigma[te[i]] = sd[static_cast<Index>(i)];
        }
        progress.update(++step, info.name + " calibration");
      }
      info.calibration = fit_std_calibration(resid, sigma);
      log_info("target '" + info.name + "': std recalibration a = " + std::to_string(info.calibration.a) +
               ", b = " + std::to_string(info.calibration.b));
    }
    im.targets.push_back(info);
    im.surrogates.push_back(std::move(sur));
  }
  progress.finish();
  fit_domain(im.domain, X, data, targets, options.seed);
  return m;
}

CsvImportOptions model_input_options(const Model& model, const std::optional<std::string>& id) {
  CsvImportOptions io;
  if (model.composition_column().empty()) io.no_composition = true;
  else io.composition = model.composition_column();
  io.process = model.process_columns();
  io.id = id;
  return io;
}

const ApplicabilityDomain* Model::domain() const noexcept {
  return impl_->domain.is_fitted() ? &impl_->domain : nullptr;
}

std::vector<Prediction> Model::predict_features(const MatrixXd& X) const {
  std::vector<Prediction> out;
  for (std::size_t t = 0; t < impl_->targets.size(); ++t) {
    Prediction p = impl_->surrogates[t]->predict(X);
    const TargetInfo& info = impl_->targets[t];
    if (info.calibration.fitted) p = info.calibration.apply(p);
    if (info.classification) p.mean = p.mean.cwiseMax(0.0).cwiseMin(1.0);
    out.push_back(std::move(p));
  }
  return out;
}

MatrixXd Model::features(const Dataset& data) const {
  const MatrixXd X = impl_->pipeline.transform(data);
  const std::vector<std::string> labels = impl_->pipeline.labels();
  for (Index r = 0; r < X.rows(); ++r)
    for (Index c = 0; c < X.cols(); ++c)
      if (!std::isfinite(X(r, c)))
        throw DataError(format_location({"", static_cast<std::size_t>(r) + 2, labels[static_cast<std::size_t>(c)],
                                         data.ids[static_cast<std::size_t>(r)]},
                                        "feature is not finite (missing elemental data?)"));
  return X;
}

std::vector<Prediction> Model::predict(const Dataset& data) const {
  if (impl_->targets.empty()) throw InvalidArgument("Model::predict: the model is not trained");
  return predict_features(features(data));
}

void Model::save(const std::filesystem::path& path) const {
  const Impl& im = *impl_;
  if (im.targets.empty()) throw InvalidArgument("Model::save: the model is not trained");
  Archive root;
  root.set_attr("model", im.options.model);
  root.set_attr("surrogate_options", im.options.surrogate_options);
  root.set_attr("calibrate", static_cast<std::int64_t>(im.options.calibrate));
  root.set_attr("calibration_folds", static_cast<std::int64_t>(im.options.calibration_folds));
  root.set_attr("seed", static_cast<std::int64_t>(im.options.seed));
  root.set_attr("composition_column", im.composition_column);
  root.set("process_columns", im.process_columns);
  std::vector<std::string> names;
  for (const auto& t : im.targets) names.push_back(t.name);
  root.set("targets", names);
  im.pipeline.save(root.child("pipeline"));
  for (std::size_t t = 0; t < im.targets.size(); ++t) {
    Archive& g = root.child("target_" + std::to_string(t));
    const TargetInfo& info = im.targets[t];
    g.set_attr("name", info.name);
    g.set_attr("classification", static_cast<std::int64_t>(info.classification));
    g.set_attr("calibrated", static_cast<std::int64_t>(info.calibration.fitted));
    g.set_attr("calibration_a", info.calibration.a);
    g.set_attr("calibration_b", info.calibration.b);
    g.set_attr("training_rows", static_cast<std::int64_t>(info.training_rows));
    im.surrogates[t]->save(g.child("surrogate"));
  }
  if (im.domain.is_fitted()) im.domain.save(root.child("domain"));
  save_archive(root, path, kFormat, kVersion);
}

Model Model::load(const std::filesystem::path& path) {
  const Archive root = load_archive(path, kFormat, kVersion);
  Model m;
  Impl& im = *m.impl_;
  try {
    im.options.model = root.attr_string("model");
    im.options.surrogate_options = root.attr_string("surrogate_options");
    im.options.calibrate = root.attr_int("calibrate") != 0;
    im.options.calibration_folds = static_cast<int>(root.attr_int("calibration_folds"));
    im.options.seed = static_cast<std::uint64_t>(root.attr_int("seed"));
    im.composition_column = root.attr_string("composition_column");
    im.process_columns = root.has("process_columns") ? root.strings("process_columns") : std::vector<std::string>{};
    im.pipeline = Pipeline::load(root.child("pipeline"));
    im.options.features = im.pipeline.options();
    const auto& names = root.strings("targets");
    for (std::size_t t = 0; t < names.size(); ++t) {
      const Archive& g = root.child("target_" + std::to_string(t));
      TargetInfo info;
      info.name = g.attr_string("name");
      info.classification = g.attr_int("classification") != 0;
      info.calibration.fitted = g.attr_int("calibrated") != 0;
      info.calibration.a = g.attr_double("calibration_a");
      info.calibration.b = g.attr_double("calibration_b");
      info.training_rows = static_cast<std::size_t>(g.attr_int("training_rows"));
      im.surrogates.push_back(load_surrogate(g.child("surrogate")));
      im.targets.push_back(info);
    }
    if (root.has_child("domain")) im.domain.load(root.child("domain"));
  } catch (const IOError& e) {
    throw IOError(path.string() + ": " + e.what());
  }
  if (im.targets.empty()) throw IOError(path.string() + ": the model file holds no targets");
  return m;
}

}  // namespace matopt
