// SPDX-License-Identifier: MIT
// The auto engine: per candidate, a fit on every training row plus inner-CV held-out predictions;
// the best candidate (or the pool of the best) by inner-CV score; then recalibration, conformal
// intervals and the classification threshold, all fitted on those held-out predictions only.
#include "matopt/models/auto_model.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/distribution.hpp"
#include "matopt/models/gaussian_process.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

using Json = nlohmann::ordered_json;

// scikit-learn's ExtraTreesRegressor defaults (every row, every column tried, random cuts) with a
// trimmed mean of the trees (docs/auto.md: chosen on inner-CV scores).
constexpr const char* kExtraTrees = R"({"split":"random","bootstrap":false,"max_features":1.0,"trim":0.3})";
constexpr const char* kBoost = R"({"loss":"absolute","rounds":3000,"max_leaves":127,"min_samples_leaf":10,"colsample":0.5})";
constexpr const char* kComposition = "magpie+stoichiometry+valence_orbital";

Json parse_object(const std::string& text, const char* what) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string(what) + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InvalidArgument(std::string(what) + " must be a JSON object");
  return j;
}

// Adds "threads" to a model's options unless they set it (0 = leave the model's default).
std::string with_threads(const std::string& text, int threads) {
  if (threads <= 0) return text;
  Json j = parse_object(text, "candidate options");
  if (!j.contains("threads")) j["threads"] = threads;
  return j.dump();
}

}  // namespace

AutoOptions AutoOptions::from_json(const std::string& text) {
  const Json j = parse_object(text, "auto options");
  AutoOptions o;
  auto get = [&](const char* key, auto& field) {
    if (!j.contains(key)) return;
    try {
      field = j.at(key).get<std::remove_reference_t<decltype(field)>>();
    } catch (const nlohmann::json::exception&) {
      throw InvalidArgument("auto options: '" + std::string(key) + "' has the wrong type (" + j.at(key).dump() + ")");
    }
  };
  static const std::set<std::string> keys{"candidates",  "transform",          "inner_folds",    "pool",
                                          "inner_refit", "recalibrate",        "quantile_recalibration",
                                          "conformal_coverage", "choose_threshold", "hurdle_gate", "gate_options",
                                          "classification", "threads", "min_rows_for_selection", "features",
                                          "gp_options"};
  for (const auto& [k, v] : j.items())
    if (!keys.count(k)) throw InvalidArgument("auto options: unknown key '" + k + "' (see docs/auto.md)");
  get("transform", o.transform);
  get("inner_folds", o.inner_folds);
  get("pool", o.pool);
  get("inner_refit", o.inner_refit);
  get("recalibrate", o.recalibrate);
  get("quantile_recalibration", o.quantile_recalibration);
  get("conformal_coverage", o.conformal_coverage);
  get("choose_threshold", o.choose_threshold);
  get("hurdle_gate", o.hurdle_gate);
  get("classification", o.classification);
  get("threads", o.threads);
  get("min_rows_for_selection", o.min_rows_for_selection);
  get("features", o.features);
  if (j.contains("gp_options"))
    o.gp_options = j.at("gp_options").is_string() ? j.at("gp_options").get<std::string>() : j.at("gp_options").dump();
  if (j.contains("gate_options")) o.gate_options = j.at("gate_options").is_string() ? j.at("gate_options").get<std::string>()
                                                                                  : j.at("gate_options").dump();
  if (j.contains("candidates")) {
    if (!j.at("candidates").is_array()) throw InvalidArgument("auto options: 'candidates' must be an array");
    for (const auto& c : j.at("candidates")) {
      if (!c.is_object() || !c.contains("model") || !c.at("model").is_string())
        throw InvalidArgument("auto options: every candidate needs a \"model\" name (got " + c.dump() + ")");
      for (const auto& [k, v] : c.items())
        if (k != "model" && k != "options" && k != "features" && k != "transform")
          throw InvalidArgument("auto options: unknown candidate key '" + k + "' (valid: model, options, features, transform)");
      AutoCandidate a;
      a.model = c.at("model").get<std::string>();
      if (c.contains("options")) a.options = c.at("options").is_string() ? c.at("options").get<std::string>() : c.at("options").dump();
      if (c.contains("features")) a.features = c.at("features").get<std::string>();
      if (c.contains("transform")) a.transform = c.at("transform").get<std::string>();
      o.candidates.push_back(std::move(a));
    }
  }
  if (o.transform != "none" && o.transform != "log1p" && o.transform != "hurdle" && o.transform != "auto")
    throw InvalidArgument("auto options: unknown transform '" + o.transform + "' (valid: none, log1p, hurdle, auto)");
  if (o.inner_folds == 1 || o.inner_folds < 0)
    throw InvalidArgument("auto options: inner_folds must be 0 (off) or >= 2 (got " + std::to_string(o.inner_folds) + ")");
  if (o.hurdle_gate != "model" && o.hurdle_gate != "pool" && o.hurdle_gate != "auto")
    throw InvalidArgument("auto options: unknown hurdle_gate '" + o.hurdle_gate + "' (valid: model, pool, auto)");
  if (!(o.conformal_coverage >= 0.0 && o.conformal_coverage < 1.0))
    throw InvalidArgument("auto options: conformal_coverage must be in [0, 1) (got " + std::to_string(o.conformal_coverage) + ")");
  for (const auto& c : o.candidates) {
    if (c.model != "gp" && c.model != "forest" && c.model != "boost" && c.model != "ensemble")
      throw InvalidArgument("auto options: unknown candidate model '" + c.model + "' (valid: gp, forest, boost, ensemble)");
    if (!c.transform.empty() && c.transform != "none" && c.transform != "log1p" && c.transform != "hurdle" &&
        c.transform != "auto")
      throw InvalidArgument("auto options: candidate " + c.model + ": unknown transform '" + c.transform + "'");
  }
  return o;
}

std::string AutoOptions::to_json() const {
  Json j;
  Json cands = Json::array();
  for (const auto& c : candidates) {
    Json e;
    e["model"] = c.model;
    if (!c.options.empty()) e["options"] = c.options;
    if (!c.features.empty()) e["features"] = c.features;
    if (!c.transform.empty()) e["transform"] = c.transform;
    cands.push_back(e);
  }
  j["candidates"] = cands;
  j["transform"] = transform;
  j["inner_folds"] = inner_folds;
  j["pool"] = pool;
  j["inner_refit"] = inner_refit;
  j["recalibrate"] = recalibrate;
  j["quantile_recalibration"] = quantile_recalibration;
  j["conformal_coverage"] = conformal_coverage;
  j["choose_threshold"] = choose_threshold;
  j["hurdle_gate"] = hurdle_gate;
  if (!gate_options.empty()) j["gate_options"] = gate_options;
  j["classification"] = classification;
  j["threads"] = threads;
  j["min_rows_for_selection"] = min_rows_for_selection;
  if (!features.empty()) j["features"] = features;
  if (!gp_options.empty()) j["gp_options"] = gp_options;
  return j.dump();
}

std::vector<AutoCandidate> default_candidates(std::size_t rows, bool classification, bool feature_aware,
                                              const AutoOptions& options) {
  const std::string comp = feature_aware ? (options.features.empty() ? kComposition : options.features) : "";
  const std::string comp_fractions = feature_aware ? std::string(kComposition) + "+fractions" : "";
  const std::string& gp = options.gp_options;
  // Few rows: the GP alone, untransformed (nothing to choose between).
  if (rows < options.min_rows_for_selection) return {{"gp", gp, comp, "none"}};
  std::vector<AutoCandidate> c;
  if (!feature_aware) {
    // A campaign's features are fixed by its design space: the models compete on them.
    c = {{"gp", gp, "", ""}, {"forest", kExtraTrees, "", ""}};
    if (rows > 3000) c = {{"forest", kExtraTrees, "", ""}, {"boost", kBoost, "", ""}};
    return c;
  }
  if (rows <= 3000) {
    c = {{"forest", kExtraTrees, comp_fractions, ""}, {"forest", kExtraTrees, "fractions", ""}, {"gp", gp, comp, ""}};
  } else if (rows <= 20000) {
    c = {{"forest", kExtraTrees, comp, ""}, {"forest", kExtraTrees, comp_fractions, ""}};
  } else {
    c = {{"forest", kExtraTrees, comp_fractions, ""}, {"boost", kBoost, comp_fractions, ""}};
  }
  (void)classification;  // the same families serve both; the transform list differs (none for labels)
  if (!options.features.empty()) {
    // One feature set for all: candidates that become the same are kept once.
    std::vector<AutoCandidate> same;
    for (AutoCandidate a : c) {
      a.features = options.features;
      if (std::none_of(same.begin(), same.end(), [&](const AutoCandidate& b) {
            return b.model == a.model && b.options == a.options;
          }))
        same.push_back(a);
    }
    c = same;
  }
  return c;
}

std::string campaign_auto_options(const std::string& user_json) {
  Json j = parse_object(user_json, "auto options");
  const std::string gp = j.contains("gp_options") ? (j.at("gp_options").is_string() ? j.at("gp_options").get<std::string>()
                                                                                    : j.at("gp_options").dump())
                                                  : std::string();
  j["gp_options"] = gp_options_with_few_point_priors(gp);
  // Campaign rows are chosen by the acquisition, not drawn at random: inner-CV scores on a few
  // hundred of them favour models that interpolate the sampled optimum, while the acquisition
  // needs the GP's calibrated spread to explore (docs/auto.md, "In a campaign").
  if (!j.contains("min_rows_for_selection")) j["min_rows_for_selection"] = kCampaignMinRowsForSelection;
  return j.dump();
}

std::string campaign_model_options(const std::string& model, const std::string& user_json) {
  if (model == "gp") return gp_options_with_few_point_priors(user_json);
  if (model == "auto") return campaign_auto_options(user_json);
  return user_json;
}

std::vector<AutoCandidate> effective_candidates(const AutoOptions& options, std::size_t rows, bool feature_aware) {
  if (!options.candidates.empty()) return options.candidates;
  return default_candidates(rows, options.classification, feature_aware, options);
}

namespace {

// The transforms a candidate is tried with on targets y.
std::vector<TargetTransform> transforms_for(const std::string& requested, const VectorXd& y) {
  if (requested != "auto") return {parse_target_transform(requested)};
  std::vector<TargetTransform> t{TargetTransform::None};
  if (y.size() == 0 || y.minCoeff() < 0) return t;
  t.push_back(TargetTransform::Log1p);
  // zero-inflated targets (at least 5 % exactly 0, none negative) also try the hurdle
  const auto zeros = (y.array() == 0.0).count();
  if (zeros >= std::max<Index>(2, y.size() / 20) && zeros + 2 <= y.size()) t.push_back(TargetTransform::Hurdle);
  return t;
}

struct Expanded {
  CandidateSpec spec;
  std::size_t seed_index = 0;  // place in the candidates x transforms list: a pooled-gate twin shares it
};

// Held-out rows of every part of a candidate's prediction.
void scatter(TransformedPrediction& all, const TransformedPrediction& part, const std::vector<Index>& held, Index n) {
  auto put = [&](VectorXd& to, const VectorXd& from) {
    if (from.size() == 0) return;
    if (to.size() == 0) to = VectorXd::Zero(n);
    to(held) = from;
  };
  all.distribution.kind = part.distribution.kind;
  put(all.distribution.loc, part.distribution.loc);
  put(all.distribution.scale, part.distribution.scale);
  put(all.distribution.p_positive, part.distribution.p_positive);
  put(all.distribution.probability, part.distribution.probability);
  put(all.margin, part.margin);
}

MatrixXd columns_of(const MatrixXd& X, const std::vector<Index>& cols) {
  if (cols.empty()) return X;
  for (Index c : cols)
    if (c < 0 || c >= X.cols())
      throw InvalidArgument("auto model: a candidate reads column " + std::to_string(c) + " of a " +
                            std::to_string(X.cols()) + "-column input");
  return X(Eigen::all, cols);
}

Eigen::VectorXd floor_scale(const VectorXd& scale, const VectorXd& loc) {
  return scale.cwiseMax((1e-12 * (1.0 + loc.cwiseAbs().array())).matrix());
}

bool is_log_space(DistributionKind k) { return k == DistributionKind::Log1pNormal || k == DistributionKind::Hurdle; }

}  // namespace

struct AutoModel::Impl {
  AutoOptions options;
  std::uint64_t seed = 0;
  std::map<std::string, std::vector<Index>> feature_columns;
  bool has_feature_columns = false;
  MatrixXd reference;
  std::vector<TransformedModel> members;
  AutoReport report;
  bool fitted = false;

  std::vector<Expanded> expand(const VectorXd& y, std::size_t rows) const;
  void apply_calibration(TransformedPrediction& p) const;
  void fit_calibration(const TransformedPrediction& inner, const VectorXd& y);
  TransformedPrediction predict_members(const MatrixXd& X) const;
};

std::vector<Expanded> AutoModel::Impl::expand(const VectorXd& y, std::size_t rows) const {
  const std::vector<AutoCandidate> cands = effective_candidates(options, rows, has_feature_columns);
  std::vector<Expanded> out;
  std::size_t seed_index = 0;
  for (const AutoCandidate& a : cands) {
    std::vector<Index> cols;
    if (has_feature_columns && !a.features.empty()) {
      const auto it = feature_columns.find(a.features);
      if (it == feature_columns.end())
        throw InvalidArgument("auto model: candidate " + a.model + " reads features '" + a.features +
                              "', which the pipeline does not hold");
      cols = it->second;
    }
    const std::vector<TargetTransform> ts =
        options.classification ? std::vector<TargetTransform>{TargetTransform::None}
                               : transforms_for(a.transform.empty() ? options.transform : a.transform, y);
    for (TargetTransform t : ts) {
      CandidateSpec s;
      s.model = a.model;
      s.options = with_threads(a.options, options.threads);
      s.features = a.features;
      s.columns = cols;
      s.transform = t;
      s.gate_options = with_threads(options.gate_options, options.threads);
      if (t != TargetTransform::Hurdle || options.hurdle_gate != "pool") out.push_back({s, seed_index});
      if (t == TargetTransform::Hurdle && options.hurdle_gate != "model") {
        s.gate = "pool";
        out.push_back({s, seed_index});
      }
      ++seed_index;
    }
  }
  return out;
}

void AutoModel::Impl::apply_calibration(TransformedPrediction& p) const {
  PredictiveDistribution& d = p.distribution;
  if (d.kind == DistributionKind::Bernoulli) {
    if (report.probability.fitted && p.margin.size() == d.size()) d.probability = report.probability.apply(p.margin);
    d.threshold = report.threshold;
    return;
  }
  d.scale = floor_scale((report.sigma_a * d.scale.array() + report.sigma_b).matrix(), d.loc);
  if (d.kind == DistributionKind::Hurdle && report.probability.fitted && p.margin.size() == d.size())
    d.p_positive = report.probability.apply(p.margin);
  d.recalibration = report.quantiles;
}

// Recalibration fitted on the chosen candidate's inner-CV predictions `inner` of targets y.
void AutoModel::Impl::fit_calibration(const TransformedPrediction& inner, const VectorXd& y) {
  const PredictiveDistribution& d = inner.distribution;
  if (d.kind == DistributionKind::Bernoulli) {
    // A GP's Φ((μ − ½)/σ) is overconfident when the fitted noise is small: Platt scaling of the
    // label margin on held-out rows maps it to a probability.
    if (options.recalibrate && inner.margin.size() == y.size()) report.probability = PlattScaling::fit(inner.margin, y);
    if (options.choose_threshold) {
      TransformedPrediction held = inner;
      apply_calibration(held);
      report.threshold = choose_threshold(held.distribution.probability, y);
    }
    return;
  }
  if (options.recalibrate) {
    // σ of the Gaussian part in its own space, on the rows it describes (for the hurdle, y > 0).
    std::vector<Index> rows;
    for (Index i = 0; i < y.size(); ++i)
      if (d.kind != DistributionKind::Hurdle || y[i] > 0) rows.push_back(i);
    const VectorXd g = is_log_space(d.kind) ? VectorXd(y.array().log1p().matrix()) : y;
    if (rows.size() >= 2) {
      const StdCalibration c = fit_std_calibration(g(rows) - d.loc(rows), d.scale(rows));
      report.sigma_a = c.a;
      report.sigma_b = c.b;
    }
    if (d.kind == DistributionKind::Hurdle && inner.margin.size() == y.size())
      report.probability = PlattScaling::fit(inner.margin, (y.array() > 0).cast<double>().matrix());
    if (options.quantile_recalibration) {
      // What remains after σ and P(y > 0) (the residuals' shape: a sharp centre, heavy tails, skew)
      // is mapped away by quantile recalibration on the same held-out rows.
      TransformedPrediction held = inner;
      apply_calibration(held);
      const auto [lo, hi] = held.distribution.pit(y);
      report.quantiles = fit_pit_calibration(lo, hi);
    }
  }
  if (options.conformal_coverage > 0.0) {
    TransformedPrediction held = inner;
    apply_calibration(held);
    VectorXd point, sd;
    held.distribution.summarize(point, sd);
    report.conformal = ConformalInterval::fit(y, point, sd, options.conformal_coverage);
  }
}

TransformedPrediction AutoModel::Impl::predict_members(const MatrixXd& X) const {
  std::vector<TransformedPrediction> preds;
  for (const TransformedModel& m : members) preds.push_back(m.predict(columns_of(X, m.spec().columns)));
  if (preds.size() == 1) return preds.front();
  std::vector<const TransformedPrediction*> parts;
  for (const auto& p : preds) parts.push_back(&p);
  return pool_predictions(parts);
}

AutoModel::AutoModel(AutoOptions options, std::uint64_t seed) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->seed = seed;
}
AutoModel::~AutoModel() = default;
AutoModel::AutoModel(const AutoModel& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}

std::unique_ptr<Surrogate> AutoModel::clone() const { return std::make_unique<AutoModel>(*this); }
bool AutoModel::is_fitted() const noexcept { return impl_->fitted; }
const AutoOptions& AutoModel::options() const noexcept { return impl_->options; }
const std::vector<TransformedModel>& AutoModel::members() const { return impl_->members; }
const AutoReport& AutoModel::report() const {
  if (!impl_->fitted) throw InvalidArgument("auto model: report before fit");
  return impl_->report;
}

void AutoModel::set_feature_columns(std::map<std::string, std::vector<Index>> columns) {
  impl_->feature_columns = std::move(columns);
  impl_->has_feature_columns = true;
}

void AutoModel::set_input_reference(const MatrixXd& reference) {
  impl_->reference = reference;
  for (auto& m : impl_->members) m.set_input_reference(columns_of(reference, m.spec().columns));
}

namespace {

// One candidate: its fit on every training row and its inner-CV held-out predictions.
struct Scored {
  TransformedModel full;
  TransformedPrediction inner;
  double score = std::numeric_limits<double>::quiet_NaN();  // NaN: not scored (no inner CV, or dropped)
  bool dropped = false;
};

struct FitContext {
  const AutoOptions& options;
  std::uint64_t seed;
  const MatrixXd& reference;
  const std::vector<int>& fold;
  int K;
  Progress& progress;
  std::size_t step = 0;
};

Scored score_candidate(FitContext& ctx, const Expanded& e, const std::string& name, const MatrixXd& X,
                       const VectorXd& y) {
  Scored s;
  const MatrixXd Xc = columns_of(X, e.spec.columns);
  const bool has_reference = ctx.reference.size() > 0;
  const MatrixXd ref = has_reference ? columns_of(ctx.reference, e.spec.columns) : MatrixXd();
  const std::uint64_t model_seed = derive_seed(ctx.seed, 100 + e.seed_index);
  log_info("auto: fitting " + name + " on " + std::to_string(X.rows()) + " rows");
  s.full = TransformedModel(e.spec, ctx.options.classification, model_seed);
  if (has_reference) s.full.set_input_reference(ref);
  s.full.fit(Xc, y);
  ctx.progress.update(++ctx.step, name);
  if (ctx.K == 0) return s;
  const Index n = y.size();
  for (int f = 0; f < ctx.K; ++f) {
    std::vector<Index> fit_rows, held;
    for (Index i = 0; i < n; ++i) (ctx.fold[static_cast<std::size_t>(i)] == f ? held : fit_rows).push_back(i);
    TransformedModel m(e.spec, ctx.options.classification, derive_seed(model_seed, 1 + static_cast<std::uint64_t>(f)));
    if (has_reference) m.set_input_reference(ref);
    m.fit(Xc(fit_rows, Eigen::all), y(fit_rows), ctx.options.inner_refit ? nullptr : &s.full);
    scatter(s.inner, m.predict(Xc(held, Eigen::all)), held, n);
    ctx.progress.update(++ctx.step, name + ", inner fold " + std::to_string(f + 1) + "/" + std::to_string(ctx.K));
  }
  s.score = selection_score(s.inner.distribution, y);
  log_info("auto: inner " + std::to_string(ctx.K) + "-fold CV score of " + name + " = " + std::to_string(s.score));
  return s;
}

// Indices of the best `pool` scored candidates sharing the best one's transform; empty when fewer than 2.
std::vector<std::size_t> pool_members(const std::vector<Scored>& scored, const std::vector<Expanded>& cands,
                                      std::size_t best, std::size_t pool) {
  std::vector<std::size_t> members;
  if (pool < 2 || std::isnan(scored[best].score)) return members;
  for (std::size_t c = 0; c < scored.size(); ++c)
    if (!std::isnan(scored[c].score) && cands[c].spec.transform == cands[best].spec.transform) members.push_back(c);
  std::stable_sort(members.begin(), members.end(),
                   [&](std::size_t a, std::size_t b) { return scored[a].score < scored[b].score; });
  members.resize(std::min(members.size(), pool));
  if (members.size() < 2) members.clear();
  return members;
}

void check_training_data(const MatrixXd& X, const VectorXd& y, bool classification) {
  if (X.rows() != y.size())
    throw DataError("auto model: " + std::to_string(X.rows()) + " feature rows but " + std::to_string(y.size()) + " targets");
  if (y.size() == 0) throw DataError("auto model: no training rows");
  for (Index i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) throw DataError("auto model: target " + std::to_string(i + 1) + " is not finite");
    if (classification && y[i] != 0.0 && y[i] != 1.0)
      throw DataError("auto model: classification target " + std::to_string(i + 1) + " is " + std::to_string(y[i]) +
                      ", not 0 or 1");
  }
  if (!X.allFinite()) throw DataError("auto model: the features hold NaN or Inf");
}

}  // namespace

void AutoModel::fit(const MatrixXd& X, const VectorXd& y, const VectorXd& noise_variance) {
  Impl& im = *impl_;
  if (noise_variance.size() > 0) log_info("auto model: known noise variances are not used by its candidates");
  check_training_data(X, y, im.options.classification);
  const auto n = static_cast<std::size_t>(y.size());
  const std::vector<Expanded> cands = im.expand(y, n);
  int K = im.options.inner_folds;
  if (K > 0 && n < 2 * static_cast<std::size_t>(K)) {
    if (cands.size() > 1)
      throw DataError("auto model: " + std::to_string(n) + " training rows are too few to choose among " +
                      std::to_string(cands.size()) + " candidates by inner " + std::to_string(K) +
                      "-fold cross-validation (need at least " + std::to_string(2 * K) + ")");
    log_info("auto model: " + std::to_string(n) + " rows: no inner cross-validation (no recalibration)");
    K = 0;
  }
  if (K == 0 && cands.size() > 1)
    throw InvalidArgument("auto model: choosing among " + std::to_string(cands.size()) +
                          " candidates needs inner cross-validation (inner_folds >= 2)");
  std::set<std::string> specs;
  for (const auto& e : cands) specs.insert(e.spec.features);
  const bool named_features = specs.size() > 1;

  im.fitted = false;
  im.members.clear();
  im.report = AutoReport{};
  im.report.score_name = im.options.classification ? "1 - balanced accuracy" : "MAE";
  const std::vector<int> fold = K > 0 ? inner_fold_assignment(n, K, derive_seed(im.seed, 1)) : std::vector<int>{};
  Progress progress("auto", cands.size() * static_cast<std::size_t>(1 + K));
  FitContext ctx{im.options, im.seed, im.reference, fold, K, progress};
  std::vector<Scored> scored(cands.size());
  std::size_t best = cands.size();
  for (std::size_t c = 0; c < cands.size(); ++c) {
    const std::string name = cands[c].spec.name(named_features, im.options.classification);
    try {
      scored[c] = score_candidate(ctx, cands[c], name, X, y);
    } catch (const DataError& e) {
      // Too few y > 0 rows in an inner split: one hurdle candidate fewer, not a failed fit.
      if (cands[c].spec.transform != TargetTransform::Hurdle || cands.size() == 1) throw;
      log_warn("auto: candidate " + name + " dropped: " + e.what());
      scored[c].dropped = true;
      continue;
    }
    if (!std::isnan(scored[c].score)) im.report.inner_cv.emplace_back(name, scored[c].score);
    if (best == cands.size() || (!std::isnan(scored[c].score) && scored[c].score < scored[best].score)) best = c;
  }
  progress.finish();
  if (best == cands.size()) throw DataError("auto model: no candidate model could be fitted (see the warnings)");

  std::vector<std::size_t> chosen{best};
  TransformedPrediction chosen_inner = scored[best].inner;
  const std::vector<std::size_t> members = pool_members(scored, cands, best, im.options.pool);
  im.report.chosen = cands[best].spec.name(named_features, im.options.classification);
  if (!members.empty()) {
    std::vector<const TransformedPrediction*> parts;
    std::string name = "pool(";
    for (std::size_t m : members) {
      parts.push_back(&scored[m].inner);
      name += (m == members.front() ? "" : " | ") + cands[m].spec.name(named_features, im.options.classification);
    }
    name += ")";
    TransformedPrediction pooled = pool_predictions(parts);
    const double score = selection_score(pooled.distribution, y);
    im.report.inner_cv.emplace_back(name, score);
    log_info("auto: inner-CV score of " + name + " = " + std::to_string(score));
    if (score < scored[best].score) {
      chosen = members;
      chosen_inner = std::move(pooled);
      im.report.chosen = name;
    }
  }
  for (std::size_t m : chosen) {
    im.report.members.push_back(cands[m].spec.name(named_features, im.options.classification));
    im.members.push_back(std::move(scored[m].full));
  }
  if (K > 0) im.fit_calibration(chosen_inner, y);
  im.fitted = true;
  log_info("auto: chose " + im.report.chosen);
}

Prediction AutoModel::predict(const MatrixXd& X) const {
  const Impl& im = *impl_;
  if (!im.fitted) throw InvalidArgument("auto model: predict before fit");
  TransformedPrediction p = im.predict_members(X);
  im.apply_calibration(p);
  Prediction out;
  VectorXd sd;
  p.distribution.summarize(out.mean, sd);
  out.variance = sd.array().square().matrix();
  const VectorXd frac = p.epistemic_fraction.size() == out.mean.size() ? p.epistemic_fraction
                                                                       : VectorXd::Ones(out.mean.size());
  out.epistemic_variance = frac.cwiseProduct(out.variance);
  out.aleatoric_variance = out.variance - out.epistemic_variance;
  if (im.report.conformal.fitted && p.distribution.continuous())
    std::tie(out.conformal_lower, out.conformal_upper) = im.report.conformal.apply(out.mean, sd);
  out.distribution = std::make_shared<const PredictiveDistribution>(std::move(p.distribution));
  return out;
}

MatrixXd AutoModel::sample_joint(const MatrixXd& X, int n_samples, std::uint64_t seed) const {
  const Impl& im = *impl_;
  if (!im.fitted) throw InvalidArgument("auto model: sample_joint before fit");
  const TransformedModel& lead = im.members.front();
  const MatrixXd Xc = columns_of(X, lead.spec().columns);
  const MatrixXd latent = lead.sample_joint(Xc, n_samples, seed);
  const Prediction own = lead.predict_main(Xc);
  const Prediction mine = predict(X);
  MatrixXd out(latent.rows(), latent.cols());
  for (Index j = 0; j < latent.cols(); ++j) {
    const double s_own = std::sqrt(std::max(0.0, own.epistemic_variance.size() ? own.epistemic_variance[j] : own.variance[j]));
    const double s_mine = std::sqrt(std::max(0.0, mine.epistemic_variance[j]));
    for (Index r = 0; r < latent.rows(); ++r) {
      const double z = s_own > 0 ? (latent(r, j) - own.mean[j]) / s_own : 0.0;
      out(r, j) = mine.mean[j] + z * s_mine;
    }
  }
  return out;
}

void AutoModel::save(Archive& out) const {
  const Impl& im = *impl_;
  if (!im.fitted) throw InvalidArgument("auto model: save before fit");
  out.set_attr("kind", std::string("auto"));
  out.set_attr("options", im.options.to_json());
  out.set_attr("seed", static_cast<std::int64_t>(im.seed));
  const AutoReport& r = im.report;
  out.set_attr("chosen", r.chosen);
  out.set("members", r.members);
  out.set_attr("score_name", r.score_name);
  std::vector<std::string> names;
  VectorXd scores(static_cast<Index>(r.inner_cv.size()));
  for (std::size_t i = 0; i < r.inner_cv.size(); ++i) {
    names.push_back(r.inner_cv[i].first);
    scores[static_cast<Index>(i)] = r.inner_cv[i].second;
  }
  out.set("inner_cv_names", names);
  out.set("inner_cv_scores", scores);
  out.set_attr("sigma_a", r.sigma_a);
  out.set_attr("sigma_b", r.sigma_b);
  out.set_attr("platt_fitted", static_cast<std::int64_t>(r.probability.fitted));
  out.set_attr("platt_a", r.probability.a);
  out.set_attr("platt_b", r.probability.b);
  out.set("quantile_knots", VectorXd(Eigen::Map<const VectorXd>(r.quantiles.knots.data(),
                                                                 static_cast<Index>(r.quantiles.knots.size()))));
  out.set_attr("conformal_fitted", static_cast<std::int64_t>(r.conformal.fitted));
  out.set_attr("conformal_coverage", r.conformal.coverage);
  out.set_attr("conformal_q", r.conformal.q);
  out.set_attr("threshold", r.threshold);
  out.set_attr("n_members", static_cast<std::int64_t>(im.members.size()));
  for (std::size_t m = 0; m < im.members.size(); ++m) im.members[m].save(out.child("member_" + std::to_string(m)));
}

void AutoModel::load(const Archive& in) {
  Impl im;
  im.options = AutoOptions::from_json(in.attr_string("options"));
  im.seed = static_cast<std::uint64_t>(in.attr_int("seed"));
  AutoReport& r = im.report;
  r.chosen = in.attr_string("chosen");
  r.members = in.strings("members");
  r.score_name = in.attr_string("score_name");
  const auto& names = in.strings("inner_cv_names");
  const VectorXd& scores = in.vector("inner_cv_scores");
  if (static_cast<Index>(names.size()) != scores.size()) throw IOError("auto model: inner-CV names and scores differ in count");
  for (std::size_t i = 0; i < names.size(); ++i) r.inner_cv.emplace_back(names[i], scores[static_cast<Index>(i)]);
  r.sigma_a = in.attr_double("sigma_a");
  r.sigma_b = in.attr_double("sigma_b");
  r.probability.fitted = in.attr_int("platt_fitted") != 0;
  r.probability.a = in.attr_double("platt_a");
  r.probability.b = in.attr_double("platt_b");
  const VectorXd& knots = in.vector("quantile_knots");
  if (knots.size() > 0) {
    try {
      r.quantiles = PitCalibration::from_knots(std::vector<double>(knots.data(), knots.data() + knots.size()));
    } catch (const InvalidArgument& e) {
      throw IOError(std::string("auto model: bad quantile recalibration in the file: ") + e.what());
    }
  }
  r.conformal.fitted = in.attr_int("conformal_fitted") != 0;
  r.conformal.coverage = in.attr_double("conformal_coverage");
  r.conformal.q = in.attr_double("conformal_q");
  r.threshold = in.attr_double("threshold");
  const auto count = in.attr_int("n_members");
  if (count < 1) throw IOError("auto model: the file holds no fitted member");
  for (std::int64_t m = 0; m < count; ++m) im.members.push_back(TransformedModel::load(in.child("member_" + std::to_string(m))));
  im.fitted = true;
  *impl_ = std::move(im);
}

}  // namespace matopt
