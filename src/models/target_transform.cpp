// SPDX-License-Identifier: MIT
#include "matopt/models/target_transform.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/deep_ensemble.hpp"
#include "matopt/models/gaussian_process.hpp"

namespace matopt {

std::string to_string(TargetTransform t) {
  switch (t) {
    case TargetTransform::None: return "none";
    case TargetTransform::Log1p: return "log1p";
    case TargetTransform::Hurdle: return "hurdle";
  }
  return "none";
}

TargetTransform parse_target_transform(const std::string& name) {
  if (name == "none") return TargetTransform::None;
  if (name == "log1p") return TargetTransform::Log1p;
  if (name == "hurdle") return TargetTransform::Hurdle;
  throw InvalidArgument("unknown target transform '" + name + "' (valid: none, log1p, hurdle)");
}

std::string CandidateSpec::name(bool with_features, bool classification) const {
  std::string n = model;
  if (!classification) n += "+" + to_string(transform);
  if (transform == TargetTransform::Hurdle && gate == "pool") n += "(pooled gate)";
  if (with_features && !features.empty()) n += " [" + features + "]";
  return n;
}

namespace {

using Json = nlohmann::ordered_json;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// P(label > ½) for a regression of a 0/1 label predicting N(mean, sd²).
double label_probability(double mean, double sd) {
  return sd > 0 ? normal_cdf((mean - 0.5) / sd) : (mean > 0.5 ? 1.0 : 0.0);
}

// A forest fitted to a 0/1 label leaves out `trim` and boosted trees use the squared loss, so that
// their mean stays the class frequency treated as a probability.
std::string label_options(const std::string& model, const std::string& text) {
  if (model != "forest" && model != "boost") return text;
  Json j = text.empty() ? Json::object() : Json::parse(text);
  if (!j.is_object()) return text;  // from_json refuses it where it is used
  if (model == "forest") j.erase("trim");
  else j["loss"] = "squared";
  return j.empty() ? std::string() : j.dump();
}

std::unique_ptr<Surrogate> make_model(const std::string& model, const std::string& options, std::uint64_t seed,
                                      bool label, bool classification) {
  if (model == "ensemble") return make_deep_ensemble(options, seed, classification);
  return make_surrogate(model, label ? label_options(model, options) : options, seed);
}

// The inner-CV twin of a fitted model: a GP keeps the hyperparameters already fitted (optimizing
// them per split would multiply the cost); other models are trained afresh.
std::unique_ptr<Surrogate> twin(const Surrogate& fitted, const std::string& model, const std::string& options,
                                std::uint64_t seed, bool label, bool classification) {
  if (const auto* gp = dynamic_cast<const GaussianProcess*>(&fitted)) {
    GPOptions o = gp->options();
    o.optimize = false;
    const Eigen::VectorXd ls = gp->length_scales();
    o.length_scales.assign(ls.data(), ls.data() + ls.size());
    for (double& l : o.length_scales)
      if (!std::isfinite(l)) l = o.max_length_scale;  // a dropped constant column
    o.signal_variance = gp->signal_variance();
    o.noise_variance = gp->noise_variance();
    return std::make_unique<GaussianProcess>(o, seed);
  }
  return make_model(model, options, seed, label, classification);
}

// Scores and PITs need scale > 0, but a forest grown on every row predicts a spread of exactly 0 at a
// row that repeats a training row. The floor lies far below any real spread.
Eigen::VectorXd floor_scale(const Eigen::VectorXd& scale, const Eigen::VectorXd& loc) {
  return scale.cwiseMax((1e-12 * (1.0 + loc.cwiseAbs().array())).matrix());
}

std::unique_ptr<Surrogate> copy(const std::unique_ptr<Surrogate>& s) { return s ? s->clone() : nullptr; }

Eigen::VectorXd epistemic_fraction(const Prediction& p) {
  Eigen::VectorXd f = Eigen::VectorXd::Ones(p.size());
  if (p.epistemic_variance.size() != p.size()) return f;
  for (Eigen::Index i = 0; i < p.size(); ++i)
    if (p.variance[i] > 0) f[i] = std::clamp(p.epistemic_variance[i] / p.variance[i], 0.0, 1.0);
  return f;
}

}  // namespace

TransformedModel::TransformedModel() = default;
TransformedModel::TransformedModel(CandidateSpec spec, bool classification, std::uint64_t seed)
    : spec_(std::move(spec)), classification_(classification), seed_(seed) {
  if (classification_ && spec_.transform != TargetTransform::None)
    throw InvalidArgument("candidate " + spec_.name(true) + ": a classification target takes no transform");
  if (spec_.gate != "model" && spec_.gate != "pool")
    throw InvalidArgument("candidate " + spec_.name(true) + ": unknown gate '" + spec_.gate + "' (valid: model, pool)");
}
TransformedModel::~TransformedModel() = default;
TransformedModel::TransformedModel(TransformedModel&&) noexcept = default;
TransformedModel& TransformedModel::operator=(TransformedModel&&) noexcept = default;
TransformedModel::TransformedModel(const TransformedModel& o)
    : spec_(o.spec_), classification_(o.classification_), seed_(o.seed_), main_(copy(o.main_)), gate_(copy(o.gate_)),
      classifier_(copy(o.classifier_)), reference_(o.reference_) {}
TransformedModel& TransformedModel::operator=(const TransformedModel& o) {
  if (this != &o) *this = TransformedModel(o);
  return *this;
}

void TransformedModel::set_input_reference(const Eigen::MatrixXd& reference) {
  reference_ = reference;
  for (auto* s : {main_.get(), gate_.get(), classifier_.get()})
    if (s) s->set_input_reference(reference);
}

void TransformedModel::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const TransformedModel* hyper) {
  const std::string& m = spec_.model;
  auto make = [&](const Surrogate* from, std::uint64_t s, bool label) {
    auto out = from ? twin(*from, m, spec_.options, s, label, classification_)
                    : make_model(m, spec_.options, s, label, classification_);
    if (reference_.size() > 0) out->set_input_reference(reference_);
    return out;
  };
  gate_.reset();
  classifier_.reset();
  if (spec_.transform != TargetTransform::Hurdle) {
    if (spec_.transform == TargetTransform::Log1p && y.size() > 0 && y.minCoeff() < 0)
      throw DataError("candidate " + spec_.name(true) + ": log1p needs targets >= 0, but a training target is " +
                      std::to_string(y.minCoeff()));
    main_ = make(hyper ? hyper->main_.get() : nullptr, seed_, classification_);
    main_->fit(X, spec_.transform == TargetTransform::Log1p ? Eigen::VectorXd(y.array().log1p().matrix()) : y);
    return;
  }
  if (y.size() > 0 && y.minCoeff() < 0)
    throw DataError("candidate " + spec_.name(true) + ": the hurdle needs targets >= 0, but a training target is " +
                    std::to_string(y.minCoeff()));
  std::vector<Eigen::Index> positive;
  for (Eigen::Index i = 0; i < y.size(); ++i)
    if (y[i] > 0) positive.push_back(i);
  if (positive.size() < 2)
    throw DataError("the hurdle transform needs at least 2 targets > 0 among the training rows (found " +
                    std::to_string(positive.size()) + ")");
  const Eigen::VectorXd positive_label = (y.array() > 0).cast<double>().matrix();
  const std::uint64_t gate_seed = derive_seed(seed_, 7);
  if (spec_.gate == "pool") {
    // The GP half of the gate (hyperparameters reused in inner CV, as for any GP); the classifier half
    // is trained afresh, as deep ensembles always are.
    gate_ = hyper ? twin(*hyper->gate_, "gp", "", gate_seed, true, false) : make_surrogate("gp", "", gate_seed);
    classifier_ = make_deep_ensemble(spec_.gate_options, derive_seed(seed_, 8), /*classification=*/true);
    classifier_->fit(X, positive_label);
  } else {
    gate_ = make(hyper ? hyper->gate_.get() : nullptr, gate_seed, /*label=*/true);
  }
  gate_->fit(X, positive_label);
  main_ = make(hyper ? hyper->main_.get() : nullptr, seed_, false);
  main_->fit(X(positive, Eigen::all), y(positive).array().log1p().matrix());
}

TransformedPrediction TransformedModel::predict(const Eigen::MatrixXd& X) const {
  if (!is_fitted()) throw InvalidArgument("candidate " + spec_.name(true) + ": predict before fit");
  TransformedPrediction out;
  if (classification_) {
    const Prediction p = main_->predict(X);
    out.epistemic_fraction = epistemic_fraction(p);
    out.margin = (p.mean.array() - 0.5).matrix();
    // A GP regresses the 0/1 label: P(label > ½) under its predictive distribution. Every other model's
    // mean already is P(y = 1) (the ensemble's classifier) or a class frequency (trees).
    Eigen::VectorXd prob(p.size());
    const Eigen::VectorXd sd = p.std();
    for (Eigen::Index i = 0; i < p.size(); ++i)
      prob[i] = spec_.model == "gp" ? label_probability(p.mean[i], sd[i]) : std::clamp(p.mean[i], 0.0, 1.0);
    out.distribution = PredictiveDistribution::bernoulli(prob);
    return out;
  }
  if (spec_.transform != TargetTransform::Hurdle) {
    const Prediction p = main_->predict(X);
    out.epistemic_fraction = epistemic_fraction(p);
    out.distribution.kind =
        spec_.transform == TargetTransform::Log1p ? DistributionKind::Log1pNormal : DistributionKind::Gaussian;
    out.distribution.loc = p.mean;
    out.distribution.scale = floor_scale(p.std(), p.mean);
    return out;
  }
  const Prediction gate = gate_->predict(X);
  const Eigen::VectorXd gate_sd = gate.std();
  const Prediction pos = main_->predict(X);  // of log(1 + y), y > 0
  out.epistemic_fraction = epistemic_fraction(pos);
  PredictiveDistribution& d = out.distribution;
  d.kind = DistributionKind::Hurdle;
  out.margin = (gate.mean.array() - 0.5).matrix();
  d.p_positive.resize(X.rows());
  // A tree model's mean of a 0/1 label is already a class frequency, like a classifier's probability.
  const bool frequency = spec_.gate != "pool" && (spec_.model == "forest" || spec_.model == "boost");
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    d.p_positive[i] = frequency ? std::clamp(gate.mean[i], 0.0, 1.0) : label_probability(gate.mean[i], gate_sd[i]);
  if (classifier_) {
    // Pooled gate: the equal-weight average of the GP's P(y > 0) and the classifier's, and of their
    // margins, which Platt scaling then maps to one probability.
    const Eigen::VectorXd p_class = classifier_->predict(X).mean;
    d.p_positive = 0.5 * (d.p_positive + p_class);
    out.margin = 0.5 * (out.margin.array() + (p_class.array() - 0.5)).matrix();
  }
  d.loc = pos.mean;
  d.scale = floor_scale(pos.std(), pos.mean);
  return out;
}

Prediction TransformedModel::predict_main(const Eigen::MatrixXd& X) const {
  if (!is_fitted()) throw InvalidArgument("candidate " + spec_.name(true) + ": predict before fit");
  return main_->predict(X);
}

Eigen::MatrixXd TransformedModel::sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const {
  if (!is_fitted()) throw InvalidArgument("candidate " + spec_.name(true) + ": sample_joint before fit");
  return main_->sample_joint(X, n_samples, seed);
}

void TransformedModel::save(Archive& out) const {
  if (!is_fitted()) throw InvalidArgument("candidate " + spec_.name(true) + ": save before fit");
  out.set_attr("model", spec_.model);
  out.set_attr("options", spec_.options);
  out.set_attr("features", spec_.features);
  out.set_attr("transform", to_string(spec_.transform));
  out.set_attr("gate", spec_.gate);
  out.set_attr("gate_options", spec_.gate_options);
  out.set_attr("classification", static_cast<std::int64_t>(classification_));
  out.set_attr("seed", static_cast<std::int64_t>(seed_));
  std::vector<std::int64_t> cols(spec_.columns.begin(), spec_.columns.end());
  out.set("columns", cols);
  main_->save(out.child("main"));
  if (gate_) gate_->save(out.child("gate"));
  if (classifier_) classifier_->save(out.child("classifier"));
}

TransformedModel TransformedModel::load(const Archive& in) {
  CandidateSpec s;
  s.model = in.attr_string("model");
  s.options = in.attr_string("options");
  s.features = in.attr_string("features");
  s.transform = parse_target_transform(in.attr_string("transform"));
  s.gate = in.attr_string("gate");
  s.gate_options = in.attr_string("gate_options");
  for (std::int64_t c : in.integers("columns")) s.columns.push_back(static_cast<Eigen::Index>(c));
  TransformedModel m(std::move(s), in.attr_int("classification") != 0, static_cast<std::uint64_t>(in.attr_int("seed")));
  m.main_ = load_surrogate(in.child("main"));
  if (in.has_child("gate")) m.gate_ = load_surrogate(in.child("gate"));
  if (in.has_child("classifier")) m.classifier_ = load_surrogate(in.child("classifier"));
  return m;
}

}  // namespace matopt
