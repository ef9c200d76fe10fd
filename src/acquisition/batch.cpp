// SPDX-License-Identifier: MIT
#include "matopt/acquisition/batch.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <limits>
#include <numeric>
#include <string>

#include "matopt/acquisition/analytic.hpp"
#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/acquisition/pareto.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"

namespace matopt {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Scores of candidates whose improvement is exactly zero (no uncertainty and dominated) sit below
// every finite log-score; they are still ordered by how far they are from the front.
constexpr double kZeroScore = -1e4;

const std::vector<std::string> kStrategies = {"qnehvi", "qparego", "ehvi", "ei", "logei", "ucb", "pi", "ts", "random"};

bool is_mc(const std::string& s) { return s == "qnehvi" || s == "qparego" || s == "ts"; }

// Target goals: -dist(Y, [lo, hi]) is not Gaussian; the analytic paths use a Gaussian with its exact
// mean and variance (the Monte-Carlo paths transform samples exactly).
void target_moments(double mu, double s, double lo, double hi, double& mean, double& sd) {
  if (!(s > 0.0)) {
    mean = -std::max({lo - mu, 0.0, mu - hi});
    sd = 0.0;
    return;
  }
  auto first = [&](double z) { return s * std::exp(log_h(z)); };  // E[(X)^+] for X ~ N(z s, s^2)
  auto second = [&](double z) { return s * s * ((z * z + 1.0) * normal_cdf(z) + z * normal_pdf(z)); };
  const double zu = (mu - hi) / s, zl = (lo - mu) / s;
  const double m1 = first(zu) + first(zl);
  const double m2 = second(zu) + second(zl);
  mean = -m1;
  sd = std::sqrt(std::max(m2 - m1 * m1, 0.0));
}

struct Problem {
  const PosteriorModel& model;
  const std::vector<Objective>& objectives;
  const std::vector<OutcomeConstraint>& constraints;
  const BatchOptions& options;
  int m = 0;
};

void target_range(const Objective& o, double& lo, double& hi) {
  lo = o.target_low;
  hi = o.target_high;
  if (std::isnan(lo) || std::isnan(hi)) lo = hi = o.target;
}

void validate(const Problem& p, const Eigen::MatrixXd& observed_Y, const Eigen::MatrixXd& candidates) {
  const int outputs = p.model.num_outputs();
  if (p.objectives.empty()) throw InvalidArgument("batch selection: no objectives given");
  for (const Objective& o : p.objectives) {
    if (o.output < 0 || o.output >= outputs)
      throw InvalidArgument("objective '" + o.name + "': output index " + std::to_string(o.output) +
                            " is outside the model's " + std::to_string(outputs) + " outputs");
    if (o.goal == Goal::Target) {
      double lo, hi;
      target_range(o, lo, hi);
      if (std::isnan(lo) || std::isnan(hi) || lo > hi)
        throw InvalidArgument("objective '" + o.name +
                              "': goal 'target' needs a target value or target_low <= target_high");
    }
  }
  for (const OutcomeConstraint& c : p.constraints) {
    if (c.output < 0 || c.output >= outputs)
      throw InvalidArgument("constraint '" + c.name + "': output index " + std::to_string(c.output) +
                            " is outside the model's " + std::to_string(outputs) + " outputs");
    if (!(c.lower <= c.upper))
      throw InvalidArgument("constraint '" + c.name + "': lower bound is above the upper bound");
  }
  if (observed_Y.rows() > 0 && observed_Y.cols() != outputs)
    throw InvalidArgument("batch selection: observed_Y has " + std::to_string(observed_Y.cols()) +
                          " columns but the model has " + std::to_string(outputs) + " outputs");
  const auto& o = p.options;
  if (std::find(kStrategies.begin(), kStrategies.end(), o.strategy) == kStrategies.end()) {
    std::string names;
    for (const auto& s : kStrategies) names += (names.empty() ? "" : ", ") + s;
    throw InvalidArgument("unknown acquisition strategy '" + o.strategy + "' (valid: " + names + ")");
  }
  if (o.q < 1) throw InvalidArgument("batch size q must be >= 1, got " + std::to_string(o.q));
  if (o.mc_samples < 1) throw InvalidArgument("mc_samples must be >= 1, got " + std::to_string(o.mc_samples));
  if (o.shortlist < 1) throw InvalidArgument("shortlist must be >= 1, got " + std::to_string(o.shortlist));
  if (o.ref_point.size() != 0 && o.ref_point.size() != p.m)
    throw InvalidArgument("ref_point has " + std::to_string(o.ref_point.size()) + " values for " +
                          std::to_string(p.m) + " objectives");
  if (!std::isfinite(o.ucb_beta) || o.ucb_beta < 0.0)
    throw InvalidArgument("ucb_beta must be a finite value >= 0");
}

// Maximized objective marginals (N x m) and log probability of feasibility (N).
struct Marginals {
  Eigen::MatrixXd mean, sd;
  Eigen::VectorXd log_pof;
};

Marginals marginals(const Problem& p, const Eigen::MatrixXd& X) {
  const std::vector<Prediction> pred = p.model.predict(X);
  if (static_cast<int>(pred.size()) != p.model.num_outputs())
    throw NumericalError("posterior model returned " + std::to_string(pred.size()) + " predictions for " +
                         std::to_string(p.model.num_outputs()) + " outputs");
  for (const Prediction& pr : pred)
    if (pr.mean.size() != X.rows() || pr.variance.size() != X.rows())
      throw NumericalError("posterior model returned a prediction of the wrong length");
  const Eigen::Index n = X.rows();
  Marginals g;
  g.mean.resize(n, p.m);
  g.sd.resize(n, p.m);
  g.log_pof = Eigen::VectorXd::Zero(n);
  for (int j = 0; j < p.m; ++j) {
    const Objective& o = p.objectives[static_cast<std::size_t>(j)];
    const Prediction& pr = pred[static_cast<std::size_t>(o.output)];
    for (Eigen::Index i = 0; i < n; ++i) {
      const double mu = pr.mean[i], s = std::sqrt(std::max(pr.variance[i], 0.0));
      switch (o.goal) {
        case Goal::Maximize: g.mean(i, j) = mu; g.sd(i, j) = s; break;
        case Goal::Minimize: g.mean(i, j) = -mu; g.sd(i, j) = s; break;
        case Goal::Target: {
          double lo, hi;
          target_range(o, lo, hi);
          target_moments(mu, s, lo, hi, g.mean(i, j), g.sd(i, j));
          break;
        }
      }
    }
  }
  for (const OutcomeConstraint& c : p.constraints) {
    const Prediction& pr = pred[static_cast<std::size_t>(c.output)];
    for (Eigen::Index i = 0; i < n; ++i)
      g.log_pof[i] += log_probability_in_interval(pr.mean[i], std::sqrt(std::max(pr.variance[i], 0.0)), c.lower, c.upper);
  }
  return g;
}

// Observed rows in maximization orientation, and the ones that count toward the front/incumbent:
// every objective measured and every constraint measured and satisfied.
struct Observed {
  Eigen::MatrixXd values;  // n x m
  std::vector<Eigen::Index> feasible;
};

Observed observed_values(const Problem& p, const Eigen::MatrixXd& observed_Y) {
  Observed ob;
  ob.values = observed_Y.rows() > 0 ? to_maximization(observed_Y, p.objectives) : Eigen::MatrixXd(0, p.m);
  for (Eigen::Index i = 0; i < ob.values.rows(); ++i) {
    bool ok = ob.values.row(i).allFinite();
    for (const OutcomeConstraint& c : p.constraints) {
      const double y = observed_Y(i, c.output);
      ok = ok && !std::isnan(y) && y >= c.lower && y <= c.upper;
    }
    if (ok) ob.feasible.push_back(i);
  }
  return ob;
}

Eigen::MatrixXd rows_of(const Eigen::MatrixXd& A, const std::vector<Eigen::Index>& rows) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), A.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(static_cast<Eigen::Index>(r)) = A.row(rows[r]);
  return out;
}

Eigen::VectorXd reference_point(const Problem& p, const Observed& ob, const Marginals& cand) {
  if (p.options.ref_point.size() == p.m) return p.options.ref_point;
  bool any = false;
  for (Eigen::Index i = 0; i < ob.values.rows() && !any; ++i) any = ob.values.row(i).allFinite();
  return default_reference_point(any ? ob.values : cand.mean);
}

// How far y must rise to leave the region dominated by the front: max over front points of
// min_k (f_k - y_k), clipped at 0. It only grows when the front grows, like the acquisition values,
// so fallback scores keep the lazy greedy search below exact.
double dominated_gap(const Eigen::MatrixXd& front, const Eigen::Ref<const Eigen::VectorXd>& y) {
  double gap = 0.0;
  for (Eigen::Index i = 0; i < front.rows(); ++i) gap = std::max(gap, (front.row(i).transpose() - y).minCoeff());
  return gap;
}

// Runs fn(begin, end) over [0, n) on all cores. Every index is computed independently, so results
// do not depend on the number of threads.
void parallel_for(Eigen::Index n, const std::function<void(Eigen::Index, Eigen::Index)>& fn, Eigen::Index grain = 2048) {
  detail::parallel_chunks(static_cast<std::size_t>(n), 0, static_cast<std::size_t>(grain),
                          [&](std::size_t begin, std::size_t end) {
                            fn(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(end));
                          });
}

// One-step analytic scores against a (possibly fantasy-augmented) front. score() is higher-is-better
// (log values where the strategy has one, so tiny values still rank); value is the strategy's own
// value (EI, log EI, PI, UCB, EHVI), reported with the pick.
class AnalyticScorer {
 public:
  AnalyticScorer(const Problem& p, std::string strategy, const Marginals& g, Eigen::VectorXd ref)
      : p_(p), strategy_(std::move(strategy)), g_(g), ref_(std::move(ref)) {}

  // front: believed/observed values (m = 1: any rows; m >= 2: the non-dominated ones).
  void set_front(const Eigen::MatrixXd& front) {
    front_ = front;
    best_ = ref_[0];
    if (p_.m == 1 && front.rows() > 0) best_ = std::max(best_, front.col(0).maxCoeff());
    boxes_.reset();
    if (p_.m >= 2 && p_.m <= 3 && strategy_ != "ucb") boxes_ = std::make_unique<NondominatedBoxes>(front, ref_);
  }

  void score(Eigen::Index i, double& score, double& value) const {
    const double beta = p_.options.ucb_beta;
    const double lp = g_.log_pof[i];
    if (p_.m == 1) {
      const double mu = g_.mean(i, 0), s = g_.sd(i, 0);
      if (strategy_ == "ucb") {
        const double u = upper_confidence_bound(mu, s, beta);
        // Constrained UCB: PoF-weighted optimistic improvement over the reference point.
        value = p_.constraints.empty() ? u : std::exp(lp) * std::max(u - ref_[0], 0.0);
        score = value;
        return;
      }
      if (strategy_ == "pi") {
        score = log_probability_of_improvement(mu, s, best_) + lp;
        value = std::exp(score);
      } else {
        score = log_expected_improvement(mu, s, best_) + lp;
        value = strategy_ == "logei" ? score : std::exp(score);
      }
      if (score == -kInf) score = kZeroScore - std::max(best_ - mu, 0.0);
      return;
    }
    if (!boxes_) {
      // Hypervolume improvement of the optimistic point mean + sqrt(beta) sd (UCB, or m >= 4).
      Eigen::VectorXd u(p_.m);
      for (int k = 0; k < p_.m; ++k) u[k] = upper_confidence_bound(g_.mean(i, k), g_.sd(i, k), beta);
      const double hvi = hypervolume_improvement(front_, u, ref_);
      value = hvi * std::exp(lp);
      score = hvi > 0.0 ? std::log(hvi) + lp : kZeroScore - dominated_gap(front_, u);
      return;
    }
    const double le = boxes_->log_expected_improvement(g_.mean.row(i).transpose(), g_.sd.row(i).transpose());
    score = le + lp;
    value = std::exp(score);
    if (le == -kInf) score = kZeroScore - dominated_gap(front_, g_.mean.row(i).transpose());
  }

  void score_all(Eigen::VectorXd& score, Eigen::VectorXd& value, bool threaded) const {
    const Eigen::Index n = g_.mean.rows();
    score.resize(n);
    value.resize(n);
    auto run = [&](Eigen::Index a, Eigen::Index b) {
      for (Eigen::Index i = a; i < b; ++i) this->score(i, score[i], value[i]);
    };
    if (threaded) parallel_for(n, run);
    else run(0, n);
  }

 private:
  const Problem& p_;
  std::string strategy_;
  const Marginals& g_;
  Eigen::VectorXd ref_;
  Eigen::MatrixXd front_;
  double best_ = 0.0;
  std::unique_ptr<NondominatedBoxes> boxes_;
};

// Index of the highest score among rows not yet taken; ties go to the lowest index.
Eigen::Index argmax_free(const Eigen::VectorXd& score, const std::vector<char>& taken) {
  Eigen::Index best = -1;
  for (Eigen::Index i = 0; i < score.size(); ++i) {
    if (taken[static_cast<std::size_t>(i)]) continue;
    if (best < 0 || score[i] > score[best]) best = i;
  }
  return best;
}

std::string prescreen_strategy(const Problem& p) {
  const std::string& s = p.options.strategy;
  if (s == "ucb" || (p.m == 1 && (s == "pi" || s == "logei" || s == "ei"))) return s;
  return "ei";
}

BatchResult select_random(const Eigen::MatrixXd& candidates, const BatchOptions& o) {
  const auto n = static_cast<std::uint64_t>(candidates.rows());
  Rng rng(derive_seed(o.seed, 0x52414e44));
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), Eigen::Index{0});
  BatchResult r;
  for (int t = 0; t < o.q; ++t) {  // partial Fisher-Yates
    const std::uint64_t j = static_cast<std::uint64_t>(t) + uniform_index(rng, n - static_cast<std::uint64_t>(t));
    std::swap(perm[static_cast<std::size_t>(t)], perm[static_cast<std::size_t>(j)]);
    r.indices.push_back(perm[static_cast<std::size_t>(t)]);
  }
  r.acquisition_values = Eigen::VectorXd::Zero(o.q);
  return r;
}

// Joint samples of objectives (maximized) and feasibility at the rows [observed; pending; shortlist].
struct Samples {
  int n_samples = 0;
  Eigen::Index rows = 0;
  std::vector<Eigen::MatrixXd> y;  // per sample: rows x m
  std::vector<std::vector<char>> feasible;
};

Samples draw_samples(const Problem& p, const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) {
  const std::vector<Eigen::MatrixXd> f = p.model.sample_joint(X, n_samples, seed);
  if (static_cast<int>(f.size()) != p.model.num_outputs())
    throw NumericalError("posterior model returned samples for " + std::to_string(f.size()) + " outputs, expected " +
                         std::to_string(p.model.num_outputs()));
  for (const auto& s : f)
    if (s.rows() != n_samples || s.cols() != X.rows())
      throw NumericalError("posterior model returned a sample matrix of the wrong shape");
  Samples S;
  S.n_samples = n_samples;
  S.rows = X.rows();
  S.y.assign(static_cast<std::size_t>(n_samples), Eigen::MatrixXd(X.rows(), p.m));
  S.feasible.assign(static_cast<std::size_t>(n_samples), std::vector<char>(static_cast<std::size_t>(X.rows()), 1));
  Eigen::MatrixXd outputs(X.rows(), p.model.num_outputs());
  for (int w = 0; w < n_samples; ++w) {
    for (std::size_t k = 0; k < f.size(); ++k) outputs.col(static_cast<Eigen::Index>(k)) = f[k].row(w).transpose();
    S.y[static_cast<std::size_t>(w)] = to_maximization(outputs, p.objectives);
    auto& feas = S.feasible[static_cast<std::size_t>(w)];
    for (const OutcomeConstraint& c : p.constraints)
      for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const double v = outputs(i, c.output);
        if (!(v >= c.lower && v <= c.upper)) feas[static_cast<std::size_t>(i)] = 0;
      }
  }
  return S;
}

// Scores candidate rows [first, first + n) of one sample against the baseline rows of that sample:
// hypervolume improvement (m >= 2) or improvement over the best value (m = 1), 0 when infeasible.
void add_improvements(const Problem& p, const Eigen::MatrixXd& y, const std::vector<char>& feas,
                      const std::vector<Eigen::Index>& baseline, Eigen::Index first, const std::vector<char>& taken,
                      const Eigen::VectorXd& ref, Eigen::VectorXd& acc) {
  std::vector<Eigen::Index> base;
  for (Eigen::Index r : baseline)
    if (feas[static_cast<std::size_t>(r)]) base.push_back(r);
  const Eigen::Index n = acc.size();
  if (p.m == 1) {
    double best = ref[0];
    for (Eigen::Index r : base) best = std::max(best, y(r, 0));
    for (Eigen::Index c = 0; c < n; ++c)
      if (!taken[static_cast<std::size_t>(c)] && feas[static_cast<std::size_t>(first + c)])
        acc[c] += std::max(y(first + c, 0) - best, 0.0);
    return;
  }
  const Eigen::MatrixXd front = pareto_front(rows_of(y, base));
  if (p.m <= 3) {
    const NondominatedBoxes boxes(front, ref);
    for (Eigen::Index c = 0; c < n; ++c)
      if (!taken[static_cast<std::size_t>(c)] && feas[static_cast<std::size_t>(first + c)])
        acc[c] += boxes.improvement(y.row(first + c).transpose());
    return;
  }
  for (Eigen::Index c = 0; c < n; ++c)
    if (!taken[static_cast<std::size_t>(c)] && feas[static_cast<std::size_t>(first + c)])
      acc[c] += hypervolume_improvement(front, y.row(first + c).transpose(), ref);
}

}  // namespace

IndependentPosterior::IndependentPosterior(std::vector<const Surrogate*> outputs) : outputs_(std::move(outputs)) {
  for (std::size_t k = 0; k < outputs_.size(); ++k)
    if (outputs_[k] == nullptr)
      throw InvalidArgument("IndependentPosterior: surrogate for output " + std::to_string(k) + " is null");
}

std::vector<Prediction> IndependentPosterior::predict(const Eigen::MatrixXd& X) const {
  std::vector<Prediction> out;
  out.reserve(outputs_.size());
  for (const Surrogate* s : outputs_) out.push_back(s->predict(X));
  return out;
}

std::vector<Eigen::MatrixXd> IndependentPosterior::sample_joint(const Eigen::MatrixXd& X, int n_samples,
                                                                std::uint64_t seed) const {
  std::vector<Eigen::MatrixXd> out;
  out.reserve(outputs_.size());
  for (std::size_t k = 0; k < outputs_.size(); ++k) out.push_back(outputs_[k]->sample_joint(X, n_samples, derive_seed(seed, k)));
  return out;
}

std::vector<std::string> batch_strategies() { return kStrategies; }

Eigen::VectorXd prescreen_scores(const PosteriorModel& model, const std::vector<Objective>& objectives,
                                 const std::vector<OutcomeConstraint>& constraints, const Eigen::MatrixXd& observed_Y,
                                 const Eigen::MatrixXd& candidates, const BatchOptions& options) {
  Problem p{model, objectives, constraints, options, static_cast<int>(objectives.size())};
  validate(p, observed_Y, candidates);
  if (candidates.rows() == 0) return Eigen::VectorXd();  // an empty chunk of a streamed pool
  const Marginals g = marginals(p, candidates);
  const Observed ob = observed_values(p, observed_Y);
  const Eigen::VectorXd ref = reference_point(p, ob, g);
  AnalyticScorer scorer(p, prescreen_strategy(p), g, ref);
  scorer.set_front(p.m == 1 ? rows_of(ob.values, ob.feasible) : pareto_front(rows_of(ob.values, ob.feasible)));
  Eigen::VectorXd score, value;
  scorer.score_all(score, value, false);  // callers stream chunks on their own threads
  return score;
}

BatchResult select_batch(const PosteriorModel& model, const std::vector<Objective>& objectives,
                         const std::vector<OutcomeConstraint>& constraints, const Eigen::MatrixXd& observed_X,
                         const Eigen::MatrixXd& observed_Y, const Eigen::MatrixXd& pending_X,
                         const Eigen::MatrixXd& candidates, const BatchOptions& options) {
  Problem p{model, objectives, constraints, options, static_cast<int>(objectives.size())};
  validate(p, observed_Y, candidates);
  const std::string& strategy = options.strategy;
  if (observed_X.rows() != observed_Y.rows())
    throw InvalidArgument("select_batch: observed_X has " + std::to_string(observed_X.rows()) + " rows but observed_Y has " +
                          std::to_string(observed_Y.rows()));
  if ((observed_X.rows() > 0 && observed_X.cols() != candidates.cols()) ||
      (pending_X.rows() > 0 && pending_X.cols() != candidates.cols()))
    throw InvalidArgument("select_batch: observed/pending inputs have a different number of columns (" +
                          std::to_string(observed_X.cols()) + "/" + std::to_string(pending_X.cols()) +
                          ") than the candidates (" + std::to_string(candidates.cols()) + ")");
  if (candidates.rows() == 0) throw InvalidArgument("select_batch: the candidate set is empty");
  if (candidates.rows() < options.q)
    throw InvalidArgument("select_batch: " + std::to_string(candidates.rows()) + " candidates cannot give a batch of q = " +
                          std::to_string(options.q));
  if (strategy == "ehvi" && (p.m < 2 || p.m > 3))
    throw InvalidArgument("strategy 'ehvi' is exact for 2 or 3 objectives, got " + std::to_string(p.m) +
                          " (use 'logei' for one objective, 'qnehvi' or 'qparego' for more)");
  if ((strategy == "ei" || strategy == "logei" || strategy == "pi") && p.m != 1)
    throw InvalidArgument("strategy '" + strategy + "' needs exactly one objective, got " + std::to_string(p.m) +
                          " (use 'ehvi', 'qnehvi' or 'qparego')");
  if (strategy == "random") return select_random(candidates, options);

  const Marginals g = marginals(p, candidates);
  const Observed ob = observed_values(p, observed_Y);
  const Eigen::VectorXd ref = reference_point(p, ob, g);
  const Eigen::Index n_cand = candidates.rows();
  BatchResult result;
  result.acquisition_values.resize(options.q);

  if (!is_mc(strategy)) {
    // Kriging believer: pending points and earlier picks join the front/incumbent at their posterior
    // mean (only when that mean satisfies the constraints); picked rows are excluded.
    std::vector<Eigen::VectorXd> believed;
    for (Eigen::Index i : ob.feasible) believed.push_back(ob.values.row(i).transpose());
    if (pending_X.rows() > 0) {
      const Marginals gp = marginals(p, pending_X);
      for (Eigen::Index i = 0; i < pending_X.rows(); ++i)
        if (gp.log_pof[i] >= std::log(0.5)) believed.push_back(gp.mean.row(i).transpose());
    }
    // Lazy greedy: believed points only lower every candidate's score (improvement over a larger
    // front or a higher incumbent), so a stale score is an upper bound and only the candidates that
    // reach the top of the heap need rescoring. This picks the same rows as rescoring everything.
    AnalyticScorer scorer(p, strategy == "ehvi" ? "ei" : strategy, g, ref);
    auto front_of = [&] {
      Eigen::MatrixXd all(static_cast<Eigen::Index>(believed.size()), p.m);
      for (std::size_t r = 0; r < believed.size(); ++r) all.row(static_cast<Eigen::Index>(r)) = believed[r].transpose();
      return p.m == 1 ? all : pareto_front(all);
    };
    scorer.set_front(front_of());
    Eigen::VectorXd score, value;
    scorer.score_all(score, value, true);
    struct Entry {
      double score, value;
      Eigen::Index index;
      int round;
    };
    auto lower = [](const Entry& a, const Entry& b) { return a.score < b.score || (a.score == b.score && a.index > b.index); };
    std::vector<Entry> heap;
    heap.reserve(static_cast<std::size_t>(n_cand));
    for (Eigen::Index i = 0; i < n_cand; ++i) heap.push_back({score[i], value[i], i, 0});
    std::make_heap(heap.begin(), heap.end(), lower);
    for (int t = 0; t < options.q; ++t) {
      if (t > 0) scorer.set_front(front_of());
      while (true) {
        std::pop_heap(heap.begin(), heap.end(), lower);
        Entry e = heap.back();
        heap.pop_back();
        if (e.round == t) {
          result.indices.push_back(e.index);
          result.acquisition_values[t] = e.value;
          if (g.log_pof[e.index] >= std::log(0.5)) believed.push_back(g.mean.row(e.index).transpose());
          break;
        }
        scorer.score(e.index, e.score, e.value);
        e.round = t;
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end(), lower);
      }
    }
    return result;
  }

  // Monte-Carlo strategies work on a shortlist of the best marginal (pre-screen) scores.
  Eigen::VectorXd pre, pre_value;
  {
    AnalyticScorer scorer(p, prescreen_strategy(p), g, ref);
    scorer.set_front(p.m == 1 ? rows_of(ob.values, ob.feasible) : pareto_front(rows_of(ob.values, ob.feasible)));
    scorer.score_all(pre, pre_value, true);
  }
  const Eigen::Index n_short = std::min<Eigen::Index>(n_cand, std::max(options.shortlist, options.q));
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n_cand));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::partial_sort(order.begin(), order.begin() + n_short, order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return pre[a] > pre[b] || (pre[a] == pre[b] && a < b);
  });
  order.resize(static_cast<std::size_t>(n_short));

  const Eigen::Index n_obs = observed_X.rows(), n_pend = pending_X.rows();
  const Eigen::Index first = n_obs + n_pend;
  Eigen::MatrixXd X(first + n_short, candidates.cols());
  if (n_obs > 0) X.topRows(n_obs) = observed_X;
  if (n_pend > 0) X.middleRows(n_obs, n_pend) = pending_X;
  for (Eigen::Index c = 0; c < n_short; ++c) X.row(first + c) = candidates.row(order[static_cast<std::size_t>(c)]);
  const int n_samples = strategy == "ts" ? options.q : options.mc_samples;
  const Samples S = draw_samples(p, X, n_samples, derive_seed(options.seed, 0x4d43));

  std::vector<Eigen::Index> baseline(static_cast<std::size_t>(first));
  std::iota(baseline.begin(), baseline.end(), Eigen::Index{0});
  std::vector<char> taken(static_cast<std::size_t>(n_short), 0);

  // qParEGO normalizes objectives between the reference point and the best observed value.
  Eigen::VectorXd ideal = ref.array() + 1.0;
  if (strategy == "qparego") {
    for (Eigen::Index i : ob.feasible) ideal = ideal.cwiseMax(ob.values.row(i).transpose());
    for (int k = 0; k < p.m; ++k)
      if (!(ideal[k] > ref[k])) ideal[k] = ref[k] + 1.0;
  }

  for (int t = 0; t < options.q; ++t) {
    Eigen::VectorXd acc = Eigen::VectorXd::Zero(n_short);
    if (strategy == "qnehvi") {
      // Per-sample improvements summed in sample order, so threads do not change the result.
      Eigen::MatrixXd per(n_short, n_samples);
      parallel_for(
          n_samples,
          [&](Eigen::Index a, Eigen::Index b) {
            for (Eigen::Index w = a; w < b; ++w) {
              Eigen::VectorXd col = Eigen::VectorXd::Zero(n_short);
              add_improvements(p, S.y[static_cast<std::size_t>(w)], S.feasible[static_cast<std::size_t>(w)], baseline,
                               first, taken, ref, col);
              per.col(w) = col;
            }
          },
          16);
      for (int w = 0; w < n_samples; ++w) acc += per.col(w);
      acc /= n_samples;
    } else if (strategy == "ts" && p.m == 1) {
      // Single-objective Thompson sampling: the argmax of one joint sample among feasible rows.
      const auto& y = S.y[static_cast<std::size_t>(t)];
      const auto& feas = S.feasible[static_cast<std::size_t>(t)];
      for (Eigen::Index c = 0; c < n_short; ++c) acc[c] = feas[static_cast<std::size_t>(first + c)] ? y(first + c, 0) : -kInf;
    } else if (strategy == "ts") {
      add_improvements(p, S.y[static_cast<std::size_t>(t)], S.feasible[static_cast<std::size_t>(t)], baseline, first,
                       taken, ref, acc);
    } else {  // qparego: a fresh random weight vector per pick, augmented Chebyshev scalarization, qNEI
      Rng rng(derive_seed(options.seed, 0x5041524547ULL + static_cast<std::uint64_t>(t)));
      Eigen::VectorXd wts(p.m);
      for (int k = 0; k < p.m; ++k) wts[k] = -std::log(1.0 - uniform01(rng));
      wts /= wts.sum();
      auto scalar = [&](const Eigen::MatrixXd& y, Eigen::Index r) {
        const Eigen::ArrayXd z = wts.array() * (y.row(r).transpose() - ref).array() / (ideal - ref).array();
        return z.minCoeff() + 0.05 * z.sum();
      };
      for (int w = 0; w < n_samples; ++w) {
        const auto& y = S.y[static_cast<std::size_t>(w)];
        const auto& feas = S.feasible[static_cast<std::size_t>(w)];
        double best = 0.0;  // the reference point scalarizes to 0
        for (Eigen::Index r : baseline)
          if (feas[static_cast<std::size_t>(r)]) best = std::max(best, scalar(y, r));
        for (Eigen::Index c = 0; c < n_short; ++c)
          if (!taken[static_cast<std::size_t>(c)] && feas[static_cast<std::size_t>(first + c)])
            acc[c] += std::max(scalar(y, first + c) - best, 0.0);
      }
      acc /= n_samples;
    }
    Eigen::Index pick = argmax_free(acc, taken);
    const bool ts_value = strategy == "ts" && p.m == 1;
    if (ts_value ? acc[pick] == -kInf : !(acc[pick] > 0.0)) {
      // No sample shows any improvement: fall back to the pre-screen order (the shortlist is sorted).
      pick = 0;
      while (taken[static_cast<std::size_t>(pick)]) ++pick;
    }
    taken[static_cast<std::size_t>(pick)] = 1;
    baseline.push_back(first + pick);
    result.indices.push_back(order[static_cast<std::size_t>(pick)]);
    result.acquisition_values[t] = acc[pick] == -kInf ? 0.0 : acc[pick];
  }
  log_debug("select_batch: " + strategy + " picked " + std::to_string(options.q) + " of " + std::to_string(n_cand) +
            " candidates (shortlist " + std::to_string(n_short) + ")");
  return result;
}

}  // namespace matopt
