// SPDX-License-Identifier: MIT
// Matbench runner: per outer fold, featurize (pipeline fitted on the training rows), choose the model
// and target transform by inner CV on the training rows, recalibrate σ on the inner-CV residuals,
// predict the test rows and score them. Test rows are never seen before the final prediction.
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
#include <tuple>

#include "bench/matbench_internal.hpp"
#include "matopt/bench/matbench.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/deep_ensemble.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/metrics.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "matopt/models/random_forest.hpp"
#include "matopt/models/surrogate.hpp"

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
  for (const auto& t : folds.test) {
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

// Adds "threads" to a model's JSON options unless the user set it (0 = leave the model's default).
std::string with_threads(const std::string& text, int threads) {
  Json j = text.empty() ? Json::object() : Json::parse(text);
  if (threads > 0 && j.is_object() && !j.contains("threads")) j["threads"] = threads;
  return j.empty() ? std::string() : j.dump();
}

// The JSON options text without `key` (unchanged when it has none).
std::string without_key(const std::string& text, const char* key) {
  if (text.empty()) return text;
  Json j = Json::parse(text);
  if (!j.is_object() || !j.contains(key)) return text;
  j.erase(key);
  return j.empty() ? std::string() : j.dump();
}

// The JSON options text with `key` set to `value` (replacing any value given).
std::string with_key(const std::string& text, const char* key, const char* value) {
  Json j = text.empty() ? Json::object() : Json::parse(text);
  if (!j.is_object()) return text;  // not a model's options: from_json refuses it where it is used
  j[key] = value;
  return j.dump();
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

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// P(label > 0.5) for a regression model of a 0/1 label predicting N(mean, sd²).
double label_probability(double mean, double sd) {
  return sd > 0 ? normal_cdf((mean - 0.5) / sd) : (mean > 0.5 ? 1.0 : 0.0);
}

struct Candidate {
  std::size_t features;   // index into the feature-set list
  std::string model;      // gp | ensemble | forest | boost
  std::string transform;  // none | log1p | hurdle | "" (classification)
  bool pooled_gate = false;  // hurdle: P(y > 0) from the pool of a GP gate and a deep-ensemble classifier
  // Seeds derive from this, the candidate's place in the features x models x transforms list, so that
  // a pooled-gate twin shares its plain hurdle's seeds (the two differ only in the gate) and adding
  // twins moves no other candidate's seeds.
  std::size_t seed_index = 0;
};

std::string candidate_name(const Candidate& c, const std::vector<std::string>& feature_sets) {
  std::string n = c.model;
  if (!c.transform.empty()) n += "+" + c.transform;
  if (c.pooled_gate) n += "(pooled gate)";
  if (feature_sets.size() > 1) n += " [" + feature_sets[c.features] + "]";
  return n;
}

/// Predictions. Regression: the predictive distribution of each row, y = 0 with probability 1 − p_pos
/// (hurdle only; p_pos empty otherwise) and else g(y) ~ N(loc, scale²) with g = log1p when log_space,
/// the identity otherwise; `mean` (the median, what MAE rewards) and `std` summarize it in original
/// units. Classification: mean = P(y = 1).
struct Pred {
  Eigen::VectorXd mean, std;
  Eigen::VectorXd margin;  // a regression model of a 0/1 label (classification, hurdle gate): label mean − 0.5
  Eigen::VectorXd p_pos, loc, scale;
  bool log_space = false;
  PitCalibration recal;  // quantile recalibration of that distribution (identity unless fitted)
};

// mean and std of a regression Pred from its (recalibrated) distribution.
void summarize(Pred& p) { matbench_internal::summarize_distribution(p.p_pos, p.loc, p.scale, p.log_space, p.recal, p.mean, p.std); }

// Platt scaling: the probability for label-mean margin m.
double platt(double a, double b, double m) { return 1.0 / (1.0 + std::exp(-(a * m + b))); }

Eigen::VectorXd platt(double a, double b, const Eigen::VectorXd& margin) {
  Eigen::VectorXd p(margin.size());
  for (Eigen::Index i = 0; i < margin.size(); ++i) p[i] = platt(a, b, margin[i]);
  return p;
}

// Platt scaling p = 1 / (1 + exp(-(a·m + b))) fitted by Newton's method on held-out margins m and 0/1
// labels (a tiny ridge keeps it finite when the classes separate). Returns (a, b).
std::pair<double, double> fit_platt(const Eigen::VectorXd& m, const Eigen::VectorXd& y) {
  double a = 1.0, b = 0.0;
  const double ridge = 1e-6 * static_cast<double>(m.size());
  for (int it = 0; it < 100; ++it) {
    double ga = ridge * a, gb = ridge * b, haa = ridge, hab = 0, hbb = ridge;
    for (Eigen::Index i = 0; i < m.size(); ++i) {
      const double p = platt(a, b, m[i]);
      const double r = p - y[i], w = std::max(p * (1.0 - p), 1e-12);
      ga += r * m[i];
      gb += r;
      haa += w * m[i] * m[i];
      hab += w * m[i];
      hbb += w;
    }
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (std::abs(da) + std::abs(db) < 1e-10) break;
  }
  return {a, b};
}

struct FoldContext {
  const MatbenchOptions& options;
  MatbenchTaskType type;
  std::string gp_json, ensemble_json, forest_json, boost_json;
  // Forests fitted to a 0/1 label (classification, the hurdle's gate) leave out `trim`, and boosted
  // trees fitted to one use the squared loss, so that their mean stays the class frequency this runner
  // treats as a probability.
  std::string forest_label_json, boost_label_json;
  std::vector<std::string> feature_sets;
  std::vector<std::string> models;  // candidate models, in the order given
  // The `fractions` columns: every element of the dataset's compositions (inputs, never targets), so
  // that a test row may hold an element that no training row of its fold has. That column is 0 on
  // every training row: the GP drops it as constant; a network's weights for it keep their initial
  // values shrunk by weight decay.
  std::vector<std::string> elements;
};

Eigen::VectorXd forward(const Eigen::VectorXd& y, const std::string& transform) {
  if (transform == "log1p") return y.array().log1p().matrix();
  return y;
}

// Scores and PIT intervals need a positive scale, but a forest grown on every row predicts a spread of
// exactly 0 at a row that repeats a training row (duplicate compositions, common in mp_e_form). The
// floor lies far below any real spread, so it moves no printed figure.
Eigen::VectorXd floor_scale(const Eigen::VectorXd& scale, const Eigen::VectorXd& loc) {
  return scale.cwiseMax((1e-12 * (1.0 + loc.cwiseAbs().array())).matrix());
}

// A model's prediction of the (transformed) target as a Pred. For classification, `label_regression`
// says whether the model is a regression of the 0/1 label whose predictive distribution gives
// P(label > ½) (the GP) rather than a model whose mean already is P(y = 1) (the deep ensemble's
// classification mode, and the tree models, whose mean of a 0/1 label is a class frequency).
Pred backward(const Prediction& p, const std::string& transform, MatbenchTaskType type, bool label_regression) {
  Pred out;
  const Eigen::VectorXd sd = p.std();
  if (type == MatbenchTaskType::Classification) {
    out.margin = (p.mean.array() - 0.5).matrix();
    if (!label_regression) {
      out.mean = p.mean.cwiseMax(0.0).cwiseMin(1.0);
      return out;
    }
    // P(label > 0.5) under the regression's predictive distribution.
    out.mean.resize(p.size());
    for (Eigen::Index i = 0; i < p.size(); ++i)
      out.mean[i] = label_probability(p.mean[i], sd[i]);
    return out;
  }
  out.loc = p.mean;
  out.scale = floor_scale(sd, p.mean);
  out.log_space = transform == "log1p";
  summarize(out);
  return out;
}

// `label`: the model is fitted to a 0/1 label (always so for classification tasks).
std::unique_ptr<Surrogate> make_model(const FoldContext& ctx, const std::string& model, std::uint64_t seed,
                                      bool label = false) {
  if (model == "gp") return make_surrogate("gp", ctx.gp_json, seed);
  if (model == "forest") {
    const bool zero_one = label || ctx.type == MatbenchTaskType::Classification;
    return make_surrogate("forest", zero_one ? ctx.forest_label_json : ctx.forest_json, seed);
  }
  if (model == "boost") {
    const bool zero_one = label || ctx.type == MatbenchTaskType::Classification;
    return make_surrogate("boost", zero_one ? ctx.boost_label_json : ctx.boost_json, seed);
  }
  return make_deep_ensemble(ctx.ensemble_json, seed, ctx.type == MatbenchTaskType::Classification);
}

// The inner-CV twin of a fitted model. For the GP it keeps the hyperparameters fitted on the whole
// training fold (optimizing them again per inner split would multiply the cost several times); they
// were fitted on training rows only, so no test information enters. Deep ensembles and forests are
// retrained.
std::unique_ptr<Surrogate> inner_model(const FoldContext& ctx, const Candidate& c, const Surrogate& fitted,
                                       std::uint64_t seed, bool label = false) {
  if (const auto* gp = dynamic_cast<const GaussianProcess*>(&fitted)) {
    GPOptions o = gp->options();
    o.optimize = false;
    Eigen::VectorXd ls = gp->length_scales();
    o.length_scales.assign(ls.data(), ls.data() + ls.size());
    for (double& l : o.length_scales)
      if (!std::isfinite(l)) l = o.max_length_scale;  // dropped constant column
    o.signal_variance = gp->signal_variance();
    o.noise_variance = gp->noise_variance();
    return std::make_unique<GaussianProcess>(o, seed);
  }
  return make_model(ctx, c.model, seed, label);
}

// A fitted candidate. The "hurdle" transform is for zero-inflated targets (band gaps: exactly 0 for
// every metal, which a single Gaussian cannot describe): `gate` models the label 1{y > 0} and `main`
// the log1p target of the rows with y > 0 only. Every other candidate is `main` alone.
struct Fitted {
  std::unique_ptr<Surrogate> main, gate;
  std::unique_ptr<Surrogate> classifier;  // a pooled gate's deep-ensemble classifier (gate is then the GP)
};

// Fits candidate `c` on (X, y); with `hyper` (inner CV) each model reuses that fit's hyperparameters.
Fitted fit_candidate(const FoldContext& ctx, const Candidate& c, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                     std::uint64_t seed, const Fitted* hyper) {
  auto make = [&](const std::unique_ptr<Surrogate>* from, std::uint64_t s, bool label = false) {
    return from ? inner_model(ctx, c, **from, s, label) : make_model(ctx, c.model, s, label);
  };
  Fitted f;
  if (c.transform != "hurdle") {
    f.main = make(hyper ? &hyper->main : nullptr, seed);
    f.main->fit(X, forward(y, c.transform));
    return f;
  }
  std::vector<Eigen::Index> positive;
  for (Eigen::Index i = 0; i < y.size(); ++i)
    if (y[i] > 0) positive.push_back(i);
  if (positive.size() < 2)
    throw DataError("the hurdle transform needs at least 2 targets > 0 among the training rows (found " +
                    std::to_string(positive.size()) + ")");
  const Eigen::VectorXd positive_label = (y.array() > 0).cast<double>().matrix();
  if (c.pooled_gate) {
    // The GP half of the gate (hyperparameters reused in inner CV, as for any GP); the classifier half
    // is trained afresh, as deep ensembles always are.
    f.gate = hyper ? inner_model(ctx, c, *hyper->gate, derive_seed(seed, 7)) : make_model(ctx, "gp", derive_seed(seed, 7));
    f.classifier = make_deep_ensemble(ctx.ensemble_json, derive_seed(seed, 8), /*classification=*/true);
    f.classifier->fit(X, positive_label);
  } else {
    f.gate = make(hyper ? &hyper->gate : nullptr, derive_seed(seed, 7), /*label=*/true);
  }
  f.gate->fit(X, positive_label);
  f.main = make(hyper ? &hyper->main : nullptr, seed);
  f.main->fit(X(positive, Eigen::all), y(positive).array().log1p().matrix());
  return f;
}

Pred predict_candidate(const Fitted& f, const Candidate& c, const Eigen::MatrixXd& X, MatbenchTaskType type) {
  if (c.transform != "hurdle") return backward(f.main->predict(X), c.transform, type, c.model == "gp");
  const Prediction gate = f.gate->predict(X);
  const Eigen::VectorXd gate_sd = gate.std();
  const Prediction pos = f.main->predict(X);  // of log(1 + y), y > 0
  Pred out;
  out.margin = (gate.mean.array() - 0.5).matrix();
  out.p_pos.resize(X.rows());
  // A tree model's mean of a 0/1 label is already a class frequency, like a classifier's probability.
  const bool gate_frequency = !c.pooled_gate && (c.model == "forest" || c.model == "boost");
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    out.p_pos[i] = gate_frequency ? std::clamp(gate.mean[i], 0.0, 1.0) : label_probability(gate.mean[i], gate_sd[i]);
  if (f.classifier) {
    // Pooled gate: the equal-weight average of the GP's P(y > 0) and the classifier's, and of their
    // margins (label mean − 0.5), which the Platt scaling then maps to one probability.
    const Eigen::VectorXd p_class = f.classifier->predict(X).mean;
    out.p_pos = 0.5 * (out.p_pos + p_class);
    out.margin = 0.5 * (out.margin.array() + (p_class.array() - 0.5)).matrix();
  }
  out.loc = pos.mean;
  out.scale = floor_scale(pos.std(), pos.mean);
  out.log_space = true;
  summarize(out);
  return out;
}

// The equal-weight pool of several candidates' predictions of the same rows, all with one transform:
// classification averages the probabilities and the label margins; regression averages P(y > 0) and
// the gate margins (hurdle) and moment-matches the Gaussian parts in the space they share.
Pred pool_preds(const std::vector<const Pred*>& parts, MatbenchTaskType type) {
  const double w = 1.0 / static_cast<double>(parts.size());
  auto average = [&](Eigen::VectorXd Pred::*field) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(((*parts[0]).*field).size());
    for (const Pred* q : parts) {
      if ((q->*field).size() != sum.size())
        throw InvalidArgument("pooling predictions: members predict different numbers of rows (" +
                              std::to_string((q->*field).size()) + " vs " + std::to_string(sum.size()) + ")");
      sum += w * (q->*field);
    }
    return sum;
  };
  Pred out;
  out.margin = average(&Pred::margin);
  if (type == MatbenchTaskType::Classification) {
    out.mean = average(&Pred::mean);
    return out;
  }
  out.p_pos = average(&Pred::p_pos);
  std::vector<const Eigen::VectorXd*> locs, scales;
  for (const Pred* q : parts) {
    locs.push_back(&q->loc);
    scales.push_back(&q->scale);
  }
  matbench_internal::pool_gaussians(locs, scales, out.loc, out.scale);
  out.log_space = parts[0]->log_space;
  summarize(out);
  return out;
}

MatbenchFoldResult run_fold(const FoldContext& ctx, const Dataset& data, const Eigen::VectorXd& y,
                            const MatbenchFolds& folds, std::size_t k) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const MatbenchOptions& opt = ctx.options;
  const std::size_t n = data.rows();
  const std::vector<std::size_t> train = matbench_train_rows(folds, k, n);
  const std::vector<std::size_t> test = folds.test[k];
  const std::uint64_t fold_seed = derive_seed(opt.seed, k);
  const std::string tag = "fold " + std::to_string(k);

  // One pipeline per candidate feature set, fitted on the training rows only.
  const std::vector<std::string>& feature_sets = ctx.feature_sets;
  const Dataset dtrain = data.subset(train);
  const Dataset dtest = data.subset(test);
  std::vector<Eigen::MatrixXd> Xtrs, Xtes;
  for (const auto& fs : feature_sets) {
    PipelineOptions popt;
    popt.features = fs;
    popt.elements = ctx.elements;
    Pipeline pipeline(popt);
    Xtrs.push_back(pipeline.fit_transform(dtrain));
    Xtes.push_back(pipeline.transform(dtest));
  }
  Eigen::VectorXd ytr(static_cast<Eigen::Index>(train.size())), yte(static_cast<Eigen::Index>(test.size()));
  for (std::size_t i = 0; i < train.size(); ++i) ytr[static_cast<Eigen::Index>(i)] = y[static_cast<Eigen::Index>(train[i])];
  for (std::size_t i = 0; i < test.size(); ++i) yte[static_cast<Eigen::Index>(i)] = y[static_cast<Eigen::Index>(test[i])];
  log_info(tag + ": " + std::to_string(train.size()) + " train / " + std::to_string(test.size()) + " test rows, " +
           std::to_string(Xtrs[0].cols()) + " features in the first feature set");

  // Candidates (model x transform), all judged on training rows only.
  const std::vector<std::string>& models = ctx.models;
  std::vector<std::string> transforms;
  if (ctx.type == MatbenchTaskType::Classification) {
    transforms.push_back("");
  } else if (opt.transform == "auto") {
    transforms.push_back("none");
    if (ytr.minCoeff() >= 0) transforms.push_back("log1p");
    // zero-inflated targets (at least 5 % exactly 0, none negative) also try the hurdle model
    const auto zeros = (ytr.array() == 0.0).count();
    if (ytr.minCoeff() >= 0 && zeros >= std::max<Eigen::Index>(2, ytr.size() / 20) && zeros + 2 <= ytr.size())
      transforms.push_back("hurdle");
  } else {
    if ((opt.transform == "log1p" || opt.transform == "hurdle") && ytr.minCoeff() < 0)
      throw DataError(tag + ": --transform " + opt.transform + " needs targets >= 0, but a training target is " +
                      std::to_string(ytr.minCoeff()));
    transforms.push_back(opt.transform);
  }
  std::vector<Candidate> cands;
  std::size_t seed_index = 0;
  for (std::size_t f = 0; f < feature_sets.size(); ++f)
    for (const auto& m : models)
      for (const auto& t : transforms) {
        if (t != "hurdle" || opt.hurdle_gate != "pool") cands.push_back({f, m, t, false, seed_index});
        if (t == "hurdle" && opt.hurdle_gate != "model") cands.push_back({f, m, t, true, seed_index});
        ++seed_index;
      }

  // Inner K-fold split of the training rows (seeded shuffle).
  const int K = opt.inner_folds;
  std::vector<int> inner_of(train.size(), 0);
  if (K > 0) {
    std::vector<std::size_t> perm(train.size());
    for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    Rng rng(derive_seed(fold_seed, 1));
    for (std::size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[uniform_index(rng, i)]);
    for (std::size_t i = 0; i < perm.size(); ++i) inner_of[perm[i]] = static_cast<int>(i % static_cast<std::size_t>(K));
  }

  MatbenchFoldResult res;
  res.fold = k;
  res.n_train = train.size();
  res.rows = test;
  res.y_true = yte;

  auto inner_score = [&](const Pred& ip) {
    if (ctx.type == MatbenchTaskType::Regression) return (ip.mean - ytr).cwiseAbs().mean();
    return 1.0 - score_matbench_classification(ytr, ip.mean).balanced_accuracy;
  };
  const char* score_name = ctx.type == MatbenchTaskType::Regression ? "MAE" : "1 - balanced accuracy";
  std::size_t best = cands.size();  // none yet
  double best_score = std::numeric_limits<double>::infinity();
  std::vector<Fitted> fitted(cands.size());
  std::vector<Pred> inner_pred(cands.size());
  std::vector<double> scores(cands.size(), std::numeric_limits<double>::quiet_NaN());  // NaN: not scored
  for (std::size_t c = 0; c < cands.size(); ++c) {
    const Candidate& cand = cands[c];
    const Eigen::MatrixXd& Xtr = Xtrs[cand.features];
    const std::string cname = candidate_name(cand, feature_sets);
    const std::uint64_t model_seed = derive_seed(fold_seed, 100 + cand.seed_index);
    log_info(tag + ": fitting " + cname + " on the training rows");
    Pred& ip = inner_pred[c];
    try {
      fitted[c] = fit_candidate(ctx, cand, Xtr, ytr, model_seed, nullptr);
      if (K <= 0) {
        if (best == cands.size()) best = c;
        continue;
      }
      // Held-out predictions for every training row.
      std::size_t predicted = 0;
      for (int s = 0; s < K; ++s) {
        std::vector<Eigen::Index> fit_rows, held;
        for (std::size_t i = 0; i < train.size(); ++i)
          (inner_of[i] == s ? held : fit_rows).push_back(static_cast<Eigen::Index>(i));
        if (held.empty() || fit_rows.empty()) continue;
        const Fitted m = fit_candidate(ctx, cand, Xtr(fit_rows, Eigen::all), ytr(fit_rows),
                                       derive_seed(model_seed, 1 + static_cast<std::uint64_t>(s)),
                                       opt.inner_refit ? nullptr : &fitted[c]);
        const Pred p = predict_candidate(m, cand, Xtr(held, Eigen::all), ctx.type);
        predicted += held.size();
        // Held-out rows of every part of the prediction the candidate has.
        auto scatter = [&](Eigen::VectorXd& all, const Eigen::VectorXd& part) {
          if (part.size() == 0) return;
          if (all.size() == 0) all = Eigen::VectorXd::Zero(ytr.size());
          all(held) = part;
        };
        scatter(ip.mean, p.mean);
        scatter(ip.std, p.std);
        scatter(ip.margin, p.margin);
        scatter(ip.p_pos, p.p_pos);
        scatter(ip.loc, p.loc);
        scatter(ip.scale, p.scale);
        ip.log_space = p.log_space;
      }
      if (predicted != train.size()) {  // a 1-row training fold: nothing to hold out
        log_warn(tag + ": candidate " + cname + " has no inner-CV prediction for every training row; not scored");
        ip = Pred{};
        if (best == cands.size()) best = c;
        continue;
      }
    } catch (const DataError& e) {
      // With too few y > 0 rows in an inner split the hurdle cannot be fitted: one candidate fewer,
      // not a failed run (unless it was the only candidate).
      if (cand.transform != "hurdle" || cands.size() == 1) throw;
      log_warn(tag + ": candidate " + cname + " dropped: " + e.what());
      ip = Pred{};  // partial inner-CV predictions must not reach the recalibration
      continue;
    }
    const double score = inner_score(ip);
    scores[c] = score;
    res.inner_cv[cname] = score;
    log_info(tag + ": inner " + std::to_string(K) + "-fold CV " + score_name + " of " + cname + " = " +
             std::to_string(score));
    if (best == cands.size() || score < best_score) {  // an unscored fallback (score ∞) yields to any score
      best_score = score;
      best = c;
    }
  }
  if (best == cands.size())
    throw DataError(tag + ": no candidate model could be fitted on the training rows (every hurdle candidate "
                          "was dropped; see the warnings)");
  res.model = cands[best].model;
  res.transform = cands[best].transform;
  res.features = feature_sets[cands[best].features];
  if (cands[best].pooled_gate) res.gate = "pool";

  // The pool of the best scored candidates sharing the best one's transform (so one space), judged by
  // inner CV like any candidate; its inner-CV predictions are the pool of the members' own.
  std::vector<std::size_t> members;
  if (opt.pool >= 2 && !std::isnan(scores[best])) {
    for (std::size_t c = 0; c < cands.size(); ++c)
      if (!std::isnan(scores[c]) && cands[c].transform == cands[best].transform) members.push_back(c);
    std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    members.resize(std::min(members.size(), opt.pool));
    if (members.size() < 2) members.clear();
  }
  Pred pooled_inner;
  if (!members.empty()) {
    std::vector<const Pred*> parts;
    std::string name = "pool(";
    for (std::size_t m : members) {
      parts.push_back(&inner_pred[m]);
      name += (m == members.front() ? "" : " | ") + candidate_name(cands[m], feature_sets);
    }
    name += ")";
    pooled_inner = pool_preds(parts, ctx.type);
    const double score = inner_score(pooled_inner);
    res.inner_cv[name] = score;
    log_info(tag + ": inner " + std::to_string(K) + "-fold CV " + score_name + " of " + name + " = " +
             std::to_string(score));
    if (score < best_score) {
      res.model = "pool";
      res.gate.clear();  // the members' names say which gate each has
      res.features.clear();
      std::vector<std::size_t> sets;
      for (std::size_t m : members) {
        res.pool.push_back(candidate_name(cands[m], feature_sets));
        if (std::find(sets.begin(), sets.end(), cands[m].features) == sets.end()) sets.push_back(cands[m].features);
      }
      for (std::size_t f : sets) res.features += (res.features.empty() ? "" : ",") + feature_sets[f];
    } else {
      members.clear();
    }
  }

  Pred p;
  if (members.empty()) {
    p = predict_candidate(fitted[best], cands[best], Xtes[cands[best].features], ctx.type);
  } else {
    std::vector<Pred> preds;
    for (std::size_t m : members) preds.push_back(predict_candidate(fitted[m], cands[m], Xtes[cands[m].features], ctx.type));
    std::vector<const Pred*> parts;
    for (const Pred& q : preds) parts.push_back(&q);
    p = pool_preds(parts, ctx.type);
  }
  const Pred& chosen_inner = members.empty() ? inner_pred[best] : pooled_inner;
  if (ctx.type == MatbenchTaskType::Regression) {
    const Pred& ip = chosen_inner;
    if (opt.recalibrate && K > 0 && ip.loc.size() == ytr.size()) {
      // The Gaussian part, in the space it lives in: scale' = a·scale + b fitted by NLL on the inner-CV
      // residuals g(y) − loc (for the hurdle, of the rows with y > 0, the only ones it describes).
      std::vector<Eigen::Index> rows;
      for (Eigen::Index i = 0; i < ytr.size(); ++i)
        if (ip.p_pos.size() == 0 || ytr[i] > 0) rows.push_back(i);
      const Eigen::VectorXd g = ip.log_space ? Eigen::VectorXd(ytr.array().log1p().matrix()) : ytr;
      const auto [a, b] = matbench_internal::fit_sigma_recalibration(g(rows), ip.loc(rows), ip.scale(rows));
      res.calibration_a = a;
      res.calibration_b = b;
      // The hurdle's P(y > 0): Platt scaling of the gate's label-mean margin, as for classification.
      const bool gate = p.p_pos.size() > 0 && ip.margin.size() == ytr.size();
      if (gate) {
        const Eigen::VectorXd positive = (ytr.array() > 0).cast<double>().matrix();
        std::tie(res.gate_calibration_a, res.gate_calibration_b) = fit_platt(ip.margin, positive);
      }
      auto recalibrate = [&](Pred& q) {
        q.scale = floor_scale((a * q.scale.array() + b).matrix(), q.loc);
        if (gate) q.p_pos = platt(res.gate_calibration_a, res.gate_calibration_b, q.margin);
      };
      recalibrate(p);
      if (opt.quantile_recalibration) {
        // What remains after σ and P(y > 0) are recalibrated (the residuals' shape: a sharp centre with
        // heavy tails, skew) is mapped away by quantile recalibration on the same inner-CV rows, taken
        // through the same (a, b) and Platt scaling first.
        Pred held = ip;
        recalibrate(held);
        const auto [lo, hi] = matbench_internal::pit_intervals(ytr, held.p_pos, held.loc, held.scale, held.log_space);
        p.recal = fit_pit_calibration(lo, hi);
        res.quantile_calibration = p.recal;
      }
      summarize(p);
    }
    const RegressionScores s =
        score_matbench_regression(yte, p.mean, p.std, p.p_pos, p.loc, p.scale, p.log_space, p.recal);
    res.metrics = matbench_internal::metrics_map(s);
    res.std = p.std;
    res.p_positive = p.p_pos;
    res.loc = p.loc;
    res.scale = p.scale;
    res.log_space = p.log_space;
  } else {
    // A GP's Φ((μ - 0.5)/σ) is overconfident when the fitted noise is small: map the label-mean margin
    // to a probability by Platt scaling fitted on the inner-CV predictions (training rows only).
    if (opt.recalibrate && K > 0 && p.margin.size() > 0 && chosen_inner.margin.size() == ytr.size()) {
      const auto [a, b] = fit_platt(chosen_inner.margin, ytr);
      res.calibration_a = a;
      res.calibration_b = b;
      p.mean = platt(a, b, p.margin);
    }
    const ClassificationScores s = score_matbench_classification(yte, p.mean);
    res.metrics = matbench_internal::metrics_map(s);
  }
  res.mean = p.mean;
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
  // "auto" is the GP and (where the plugin is there) the deep ensemble; a list names the candidates.
  std::vector<std::string> models;
  if (options.model == "auto") {
    models.push_back("gp");
    std::string why;
    if (deep_ensemble_available(&why)) models.push_back("ensemble");
    else log_warn("--model auto without the deep ensemble (" + why + "): only the GP is a candidate");
  } else {
    for (const std::string& m : split_at_commas(options.model)) {
      if (m != "gp" && m != "ensemble" && m != "forest" && m != "boost")
        throw InvalidArgument("unknown model '" + m + "' in '" + options.model +
                              "' (valid: gp, ensemble, forest, boost, a comma-separated list of them, or auto)");
      if (std::find(models.begin(), models.end(), m) != models.end())
        throw InvalidArgument("model '" + m + "' is listed twice in '" + options.model + "'");
      models.push_back(m);
    }
  }
  const bool uses_forest = std::find(models.begin(), models.end(), "forest") != models.end();
  const bool uses_boost = std::find(models.begin(), models.end(), "boost") != models.end();
  const bool lists_ensemble = options.model != "auto" && std::find(models.begin(), models.end(), "ensemble") != models.end();
  if (options.transform != "none" && options.transform != "log1p" && options.transform != "hurdle" &&
      options.transform != "auto")
    throw InvalidArgument("unknown transform '" + options.transform + "' (valid: none, log1p, hurdle, auto)");
  if (options.inner_folds == 1 || options.inner_folds < 0)
    throw InvalidArgument("inner folds must be 0 (off) or >= 2 (got " + std::to_string(options.inner_folds) + ")");
  if (options.inner_folds == 0 && (models.size() > 1 || options.model == "auto" || options.transform == "auto"))
    throw InvalidArgument("--model auto, a list of models and --transform auto choose by inner cross-validation: "
                          "inner folds must be >= 2");
  const std::vector<std::string> feature_sets = split_at_commas(options.features);
  for (const std::string& fs : feature_sets)
    if (fs.empty()) throw InvalidArgument("features '" + options.features + "': empty feature set in the list");
  if (options.inner_folds == 0 && (options.pool >= 2 || options.inner_refit))
    throw InvalidArgument(std::string(options.pool >= 2 ? "pooling candidates" : "refitting in inner CV") +
                          " needs inner cross-validation: inner folds must be >= 2");
  if (feature_sets.size() > 1 && options.inner_folds == 0)
    throw InvalidArgument("several feature sets are chosen between by inner cross-validation: inner folds must be >= 2");
  if (options.threads < 1) throw InvalidArgument("threads must be >= 1 (got " + std::to_string(options.threads) + ")");
  if (options.hurdle_gate != "model" && options.hurdle_gate != "pool" && options.hurdle_gate != "auto")
    throw InvalidArgument("unknown hurdle gate '" + options.hurdle_gate + "' (valid: model, pool, auto)");
  if (options.hurdle_gate == "auto" && options.inner_folds == 0)
    throw InvalidArgument("--hurdle-gate auto chooses by inner cross-validation: inner folds must be >= 2");
  if (lists_ensemble || options.hurdle_gate != "model") {
    std::string why;
    if (!deep_ensemble_available(&why))
      throw BackendError((lists_ensemble ? "--model " + options.model : "--hurdle-gate " + options.hurdle_gate) +
                         ": the deep ensemble is not available: " + why);
  }
  // Checked before any work: bad forest options fail the run at once, not in fold 1.
  if (uses_forest) (void)ForestOptions::from_json(options.forest_options);
  else if (!options.forest_options.empty()) log_warn("forest options given, but no forest is among the models: ignored");
  if (uses_boost) (void)BoostOptions::from_json(options.boost_options);
  else if (!options.boost_options.empty()) log_warn("boost options given, but boost is not among the models: ignored");

  const std::string label = options.dataset_label.empty() ? folds.task : options.dataset_label;
  const Column& col = data.target(target);
  MatbenchRun run;
  run.task = label;
  run.target = target;
  run.type = detect_matbench_task_type(col, label);
  run.n_rows = data.rows();
  run.n_folds = folds.test.size();
  validate_matbench_folds(folds, data.rows(), label.empty() ? "folds" : label + " folds");
  if (data.rows() < 2 * folds.test.size())
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
  sig["transform"] = run.type == MatbenchTaskType::Regression ? options.transform : "";
  sig["seed"] = options.seed;
  sig["inner_folds"] = options.inner_folds;
  sig["recalibrate"] = options.recalibrate;
  sig["quantile_recalibration"] = options.quantile_recalibration;
  // Recorded only when set, so that files written before these options existed still resume.
  if (options.pool >= 2) sig["pool"] = options.pool;
  if (options.inner_refit) sig["inner_refit"] = true;
  if (options.hurdle_gate != "model") sig["hurdle_gate"] = options.hurdle_gate;
  if (uses_forest) sig["forest_options"] = normalized_json(options.forest_options, "forest options");
  if (uses_boost) sig["boost_options"] = normalized_json(options.boost_options, "boost options");
  // Version 2: σ recalibrated in the transformed space, hurdle P(y > 0) Platt-scaled, coverage from
  // the predictive distribution. Folds of version-1 files are not mixed with these.
  sig["method"] = 2;
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
  FoldContext ctx{options, run.type, {}, {}, {}, {}, {}, {}, feature_sets, models, {}};
  for (const int z : data.elements()) ctx.elements.emplace_back(element_symbol(z));
  // Concurrent folds share the cores: each model gets its share of threads unless told otherwise.
  const int per_fold_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) /
                                               std::max(1, std::min(options.threads, static_cast<int>(todo.size()))));
  ctx.gp_json = with_threads(normalized_json(options.gp_options, "GP options"), options.threads > 1 ? per_fold_threads : 0);
  ctx.ensemble_json = with_threads(normalized_json(options.ensemble_options, "ensemble options"),
                                   options.threads > 1 ? per_fold_threads : 0);
  ctx.forest_json = with_threads(normalized_json(options.forest_options, "forest options"),
                                 options.threads > 1 ? per_fold_threads : 0);
  ctx.forest_label_json = without_key(ctx.forest_json, "trim");
  if (uses_boost) {  // unused options are only warned about, never parsed
    ctx.boost_json = with_threads(normalized_json(options.boost_options, "boost options"),
                                  options.threads > 1 ? per_fold_threads : 0);
    ctx.boost_label_json = with_key(ctx.boost_json, "loss", "squared");
  }

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
