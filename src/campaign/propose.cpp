// SPDX-License-Identifier: MIT
// Campaign::propose: fit one surrogate per output (plus a feasibility model when experiments have
// failed), then let the optimize layer pick a batch with the pending proposals as pending points.
// The same code runs for campaign files (`matopt propose`) and in-memory campaigns (`bench campaign`,
// `bench bo`, the library): only the lock, the re-read and the save depend on the file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include "campaign/internal.hpp"
#include "campaign/oracle_posterior.hpp"
#include "matopt/acquisition/batch.hpp"
#include "matopt/acquisition/reference_point.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/campaign/lock.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/auto_model.hpp"
#include "matopt/models/domain.hpp"
#include "matopt/models/surrogate.hpp"
#include "matopt/optimize/grid.hpp"
#include "matopt/optimize/oracle.hpp"
#include "matopt/optimize/propose.hpp"
#include "matopt/optimize/sampling.hpp"

namespace matopt {

using namespace campaign_detail;

std::string default_strategy(std::size_t objectives, int q) {
  (void)q;  // measured for q = 1 and q > 1 alike (docs/campaign.md)
  return objectives > 1 ? "qnehvi" : "ucb";
}

int default_min_measurements(int dimension, bool pool) { return pool ? 3 : 2 * (dimension + 1); }

namespace {

std::string proposal_id(int round, int k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "r%03d-%02d", round, k);
  return buf;
}

bool near_any(const Eigen::VectorXd& p, const std::vector<Eigen::VectorXd>& others) {
  for (const auto& o : others)
    if ((p - o).cwiseAbs().maxCoeff() <= 1e-9) return true;
  return false;
}

Eigen::MatrixXd stack(const std::vector<Eigen::VectorXd>& rows, Eigen::Index cols) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), cols);
  for (std::size_t i = 0; i < rows.size(); ++i) m.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
  return m;
}

/// What the campaign knows before a round: measured and pending points.
struct RoundState {
  std::vector<const MeasurementRecord*> all;
  std::vector<Eigen::VectorXd> taken;    ///< measured or pending: never proposed again
  std::vector<Eigen::VectorXd> pending;
  std::size_t n_ok = 0, n_failed = 0;
  bool enough = true;  ///< every output has enough values to fit a model
};

RoundState gather(const Campaign& c, int min_measurements) {
  RoundState s;
  for (const auto& r : c.measurements()) {
    s.taken.push_back(r.point);
    s.all.push_back(&r);
    if (r.failed) ++s.n_failed;
    else ++s.n_ok;
  }
  for (const auto& p : c.proposals())
    if (p.state == "pending") {
      s.pending.push_back(p.point);
      s.taken.push_back(p.point);
    }
  const auto m = static_cast<Eigen::Index>(c.space().output_names().size());
  for (Eigen::Index k = 0; k < m; ++k) {
    if (c.space().oracle_source(c.space().output_names()[static_cast<std::size_t>(k)]).oracle >= 0) continue;  // computed, not learned
    int count = 0;
    for (const auto* r : s.all)
      if (!r->failed && std::isfinite(r->outputs[k])) ++count;
    if (count < std::max(2, min_measurements)) s.enough = false;
  }
  return s;
}

/// Seeded picks without a model: random rows of `pool` (the stored pool, or the oracle-checked
/// candidates), the first new rows of `pool` in order when `in_order` (Sobol candidates of an initial
/// design), or Sobol (initial) / random points of the space when `pool` is empty.
std::vector<Eigen::VectorXd> model_free_picks(const Campaign& c, const Eigen::MatrixXd& pool, bool in_order, const RoundState& st,
                                              int q, bool sobol, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Eigen::VectorXd> picks;
  if (pool.rows() > 0 && in_order) {
    for (Eigen::Index r = 0; r < pool.rows() && static_cast<int>(picks.size()) < q; ++r) {
      const Eigen::VectorXd p = pool.row(r).transpose();  // Sobol samples on a grid repeat: skip copies
      if (!near_any(p, st.taken) && !near_any(p, picks)) picks.push_back(p);
    }
    if (static_cast<int>(picks.size()) < q)
      throw InvalidArgument("propose: only " + std::to_string(picks.size()) + " candidates are new and pass the oracles' constraints; cannot propose " + std::to_string(q));
    return picks;
  }
  if (pool.rows() > 0) {
    std::vector<Eigen::Index> free;
    for (Eigen::Index r = 0; r < pool.rows(); ++r)
      if (!near_any(pool.row(r).transpose(), st.taken)) free.push_back(r);
    if (static_cast<int>(free.size()) < q)
      throw InvalidArgument("propose: only " + std::to_string(free.size()) + " pool candidates are neither measured nor pending; cannot propose " + std::to_string(q));
    for (int k = 0; k < q; ++k) {
      // Partial Fisher-Yates: a seeded sample without replacement.
      const auto j = static_cast<std::size_t>(k) + uniform_index(rng, free.size() - static_cast<std::size_t>(k));
      std::swap(free[static_cast<std::size_t>(k)], free[j]);
      picks.push_back(pool.row(free[static_cast<std::size_t>(k)]).transpose());
    }
    return picks;
  }
  SampleOptions so;
  so.method = sobol ? SampleMethod::Sobol : SampleMethod::Random;
  const int n = q + static_cast<int>(st.taken.size()) + 8;
  const Eigen::MatrixXd pts = sample_design_points(c.space(), n, seed, so);
  for (Eigen::Index r = 0; r < pts.rows() && static_cast<int>(picks.size()) < q; ++r) {
    Eigen::VectorXd p = pts.row(r).transpose();
    if (!near_any(p, st.taken) && !near_any(p, picks)) picks.push_back(p);
  }
  if (static_cast<int>(picks.size()) < q)
    throw InvalidArgument("propose: the design space yielded only " + std::to_string(picks.size()) + " new points");
  return picks;
}

/// Model inputs of design points: the coordinates ("point") or a featurization pipeline fitted on
/// the measured points.
FeatureFn make_features(const Campaign& c, const RoundState& st, const std::string& features) {
  const DesignSpace* sp = &c.space();
  if (features == "point") return [sp](const Eigen::MatrixXd& pts) { return point_features(*sp, pts); };
  if (!sp->has_composition())
    throw InvalidArgument("propose: --features '" + features + "' needs a composition block; use 'point'");
  PipelineOptions po;
  po.features = features;
  auto pipeline = std::make_shared<Pipeline>(po);
  Eigen::MatrixXd pts(static_cast<Eigen::Index>(st.all.size()), sp->dimension());
  for (std::size_t i = 0; i < st.all.size(); ++i) pts.row(static_cast<Eigen::Index>(i)) = st.all[i]->point.transpose();
  pipeline->fit(sp->to_dataset(pts));
  return [sp, pipeline](const Eigen::MatrixXd& p) { return pipeline->transform(sp->to_dataset(p)); };
}

/// The domain the models scale their inputs by: the pool, or a fixed Sobol sample of the space (the
/// same every round), never the handful of rows measured so far.
Eigen::MatrixXd input_reference(const Campaign& c, const FeatureFn& features) {
  if (c.pool().rows() > 0) return features(c.pool());
  return features(sample_design_points(c.space(), 1024, derive_seed(c.seed(), 0x1D0F)));
}

struct Fitted {
  std::vector<std::unique_ptr<Surrogate>> models;
  std::unique_ptr<IndependentPosterior> posterior;  ///< the learned outputs
  std::unique_ptr<campaign_detail::OraclePosterior> exact;  ///< all outputs, when the space has oracles
};

Fitted fit_models(const CampaignProposeOptions& options, const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y,
                  const Eigen::MatrixXd& reference, std::uint64_t round_seed) {
  // The GP fits a campaign's first rounds on a handful of rows: few-point priors unless set.
  const std::string model_options = campaign_model_options(options.model, options.model_options);
  Fitted f;
  std::vector<const Surrogate*> ptrs;
  for (Eigen::Index k = 0; k < Y.cols(); ++k) {
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < Y.rows(); ++i)
      if (std::isfinite(Y(i, k))) rows.push_back(i);
    auto model = make_surrogate(options.model, model_options, derive_seed(round_seed, 1000 + static_cast<std::uint64_t>(k)));
    model->set_input_reference(reference);
    model->fit(X(rows, Eigen::all), Y(rows, k));
    ptrs.push_back(model.get());
    f.models.push_back(std::move(model));
  }
  f.posterior = std::make_unique<IndependentPosterior>(ptrs);
  return f;
}

/// The space the acquisition sees: the campaign's, plus a success output with constraint "> 1/2"
/// when experiments have failed (the acquisition then weighs candidates by the probability of
/// feasibility; DesignSpace numbers a new constraint-only output after the declared ones).
DesignSpace working_space(const DesignSpace& space, bool feasibility) {
  DesignSpaceSpec spec = space.spec();
  if (feasibility) {
    OutcomeConstraint c;
    c.name = "experiment_succeeds";
    c.lower = 0.5;
    spec.outcome_constraints.push_back(c);
  }
  return DesignSpace(spec);
}

/// --enumerate scores the grid as the candidate pool, so a space with a pool of its own is refused.
void refuse_enumerate_with_pool(const Campaign& c, const CampaignProposeOptions& options) {
  if (options.enumerate_grid && c.pool().rows() > 0)
    throw InvalidArgument("propose --enumerate: the space has a candidate pool; its rows are already scored whole");
}

/// A space with oracles: the candidates, already run through the oracles, minus those an oracle
/// value rules out (a violated oracle-backed constraint, or nan for an oracle output it uses).
struct OracleRound {
  Eigen::MatrixXd candidates;
  bool sampled = false;  ///< Sobol samples of the space (not a pool or the grid)
  std::size_t ruled_out = 0;
};

/// Oracle-backed outputs in output order: (output index, column of evaluate_oracles' result).
std::vector<std::pair<Eigen::Index, int>> oracle_outputs(const DesignSpace& space) {
  std::vector<std::pair<Eigen::Index, int>> out;
  const auto& names = space.output_names();
  for (std::size_t k = 0; k < names.size(); ++k)
    if (const OracleColumn src = space.oracle_source(names[k]); src.oracle >= 0)
      out.emplace_back(static_cast<Eigen::Index>(k), oracle_value_column(space, src));
  return out;
}

/// Looks up the oracle values of points (exact bits) in the cache; a miss is an internal error.
Eigen::MatrixXd cached_oracle_values(const DesignSpace& space, const OracleCache& cache, const Eigen::MatrixXd& pts) {
  Eigen::MatrixXd v(pts.rows(), oracle_value_count(space));
  for (Eigen::Index r = 0; r < pts.rows(); ++r) {
    int col = 0;
    for (const auto& o : space.oracles()) {
      const Eigen::VectorXd* hit = cache.find(o.name, pts.row(r).transpose());
      if (hit == nullptr) throw Error("propose: internal error: a point without a value of oracle '" + o.name + "'");
      v.row(r).segment(col, hit->size()) = hit->transpose();
      col += static_cast<int>(hit->size());
    }
  }
  return v;
}

/// Model inputs of a space with oracles: the base features, the oracle values used as model inputs,
/// then one column per oracle-backed output (read by OraclePosterior, never by a surrogate). A nan
/// model input (candidates with one are ruled out; a measured or pending point may have one) is
/// replaced by the mean of that column over the candidates, so the surrogates never see a NaN.
FeatureFn oracle_features(const DesignSpace& space, const OracleCache& cache, FeatureFn base, const Eigen::MatrixXd& candidates) {
  std::vector<int> cols;
  for (const OracleColumn& c : space.oracle_model_inputs()) cols.push_back(oracle_value_column(space, c));
  const std::size_t n_inputs = cols.size();
  for (const auto& [k, col] : oracle_outputs(space)) cols.push_back(col);
  const Eigen::MatrixXd cand_values = cached_oracle_values(space, cache, candidates);
  std::vector<double> fill(n_inputs, 0.0);
  for (std::size_t j = 0; j < n_inputs; ++j) {
    double sum = 0;
    int n = 0;
    for (Eigen::Index r = 0; r < cand_values.rows(); ++r)
      if (std::isfinite(cand_values(r, cols[j]))) sum += cand_values(r, cols[j]), ++n;
    if (n > 0) fill[j] = sum / n;
  }
  const DesignSpace* sp = &space;
  const OracleCache* cp = &cache;
  return [sp, cp, base, cols, fill](const Eigen::MatrixXd& pts) {
    const Eigen::MatrixXd b = base(pts);
    const Eigen::MatrixXd v = cached_oracle_values(*sp, *cp, pts);
    Eigen::MatrixXd X(pts.rows(), b.cols() + static_cast<Eigen::Index>(cols.size()));
    X.leftCols(b.cols()) = b;
    for (std::size_t j = 0; j < cols.size(); ++j) {
      auto col = X.col(b.cols() + static_cast<Eigen::Index>(j));
      col = v.col(cols[j]);
      if (j < fill.size())
        for (Eigen::Index r = 0; r < col.size(); ++r)
          if (std::isnan(col[r])) col[r] = fill[j];
    }
    return X;
  };
}

/// What rules a candidate out by its oracle values: nan in an oracle output the space uses (an
/// oracle-backed output or a model input), or an oracle-backed output constraint violated.
struct OracleFilter {
  std::vector<int> needed;  ///< columns that must not be nan
  std::vector<std::pair<int, const OutcomeConstraint*>> bounded;

  explicit OracleFilter(const DesignSpace& space) {
    for (const auto& [k, col] : oracle_outputs(space)) needed.push_back(col);
    for (const OracleColumn& c : space.oracle_model_inputs()) needed.push_back(oracle_value_column(space, c));
    for (const auto& oc : space.outcome_constraints())
      if (const OracleColumn src = space.oracle_source(oc.name); src.oracle >= 0)
        bounded.emplace_back(oracle_value_column(space, src), &oc);
  }
  bool rules_out(const Eigen::VectorXd& values) const {
    for (int col : needed)
      if (std::isnan(values[col])) return true;
    for (const auto& [col, oc] : bounded)
      if (values[col] < oc->lower || values[col] > oc->upper) return true;
    return false;
  }
};

/// Candidates of a space with oracles (the stored pool, else the grid with --enumerate, else Sobol
/// samples seeded by the round), run through the oracles with the measured and pending points (the
/// cache answers the known ones), minus those the oracle values rule out.
OracleRound run_oracles(const Campaign& c, OracleCache& cache, const CampaignProposeOptions& options, const RoundState& st,
                        std::uint64_t round_seed) {
  const DesignSpace& space = c.space();
  OracleRound r;
  Eigen::MatrixXd cands;
  refuse_enumerate_with_pool(c, options);
  if (c.pool().rows() > 0) {
    cands = c.pool();
  } else if (options.enumerate_grid) {
    cands = feasible_grid_points(DesignGrid(space, default_process_grid(space)), kMaxEnumeratedCandidates);
  } else {
    SampleOptions so;
    so.method = SampleMethod::Sobol;
    cands = sample_design_points(space, std::max(1, options.raw_samples), derive_seed(round_seed, 0x0AC1E5), so);
    r.sampled = true;
  }
  std::vector<Eigen::VectorXd> known = st.taken;
  Eigen::MatrixXd all(cands.rows() + static_cast<Eigen::Index>(known.size()), space.dimension());
  all.topRows(cands.rows()) = cands;
  for (std::size_t i = 0; i < known.size(); ++i) all.row(cands.rows() + static_cast<Eigen::Index>(i)) = known[i].transpose();
  const Eigen::MatrixXd values = evaluate_oracles(space, all, cache);
  const OracleFilter filter(space);
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < cands.rows(); ++i)
    if (!filter.rules_out(values.row(i).transpose())) keep.push_back(i);
  r.ruled_out = static_cast<std::size_t>(cands.rows()) - keep.size();
  r.candidates = cands(keep, Eigen::all);
  log_info("propose: " + std::to_string(cands.rows()) + " candidates, " + std::to_string(r.ruled_out) +
           " ruled out by oracle values");
  if (r.candidates.rows() == 0)
    throw InvalidArgument("propose: every one of the " + std::to_string(cands.rows()) +
                          " candidates violates an oracle-backed output constraint (or has no oracle value)");
  return r;
}

/// A space with oracles: surrogates for the learned outputs on the first columns of the features (base
/// features + oracle model inputs), exact values for the oracle-backed outputs, whose observed values
/// in `obs_Y` become the oracle's.
Fitted fit_with_oracles(const Campaign& c, const CampaignProposeOptions& options, const OracleRound& oracle,
                        const FeatureFn& base_features, const FeatureFn& features, const Eigen::MatrixXd& obs_pts,
                        Eigen::MatrixXd& obs_Y, std::uint64_t round_seed) {
  const DesignSpace& space = c.space();
  const auto exact = oracle_outputs(space);
  const Eigen::MatrixXd values = cached_oracle_values(space, c.oracle_cache(), obs_pts);
  for (const auto& [k, col] : exact) obs_Y.col(k) = values.col(col);
  const Eigen::Index learned_inputs = base_features(oracle.candidates.topRows(1)).cols() +
                                      static_cast<Eigen::Index>(space.oracle_model_inputs().size());
  // source[k]: index among the learned outputs, or -(1 + feature column) of an exact one.
  std::vector<int> source(static_cast<std::size_t>(obs_Y.cols()), 0);
  std::vector<Eigen::Index> learned;
  for (Eigen::Index k = 0; k < obs_Y.cols(); ++k) {
    auto it = std::find_if(exact.begin(), exact.end(), [&](const auto& e) { return e.first == k; });
    if (it != exact.end()) {
      source[static_cast<std::size_t>(k)] = -static_cast<int>(learned_inputs + (it - exact.begin())) - 1;
    } else {
      source[static_cast<std::size_t>(k)] = static_cast<int>(learned.size());
      learned.push_back(k);
    }
  }
  const Eigen::MatrixXd X = features(obs_pts).leftCols(learned_inputs);
  const Eigen::MatrixXd ref = features(oracle.candidates).leftCols(learned_inputs);
  Fitted f = fit_models(options, X, obs_Y(Eigen::all, learned), ref, round_seed);
  f.exact = std::make_unique<OraclePosterior>(*f.posterior, std::move(source), learned_inputs);
  return f;
}

ProposeResult model_picks(const Campaign& c, const RoundState& st, const CampaignProposeOptions& options,
                          const std::string& strategy, std::uint64_t round_seed, const OracleRound* oracle) {
  const DesignSpace& space = c.space();
  const auto m = static_cast<Eigen::Index>(space.output_names().size());
  const Eigen::Index d = space.dimension();
  const FeatureFn base_features = make_features(c, st, options.features);
  const FeatureFn features = oracle ? oracle_features(space, c.oracle_cache(), base_features, oracle->candidates) : base_features;

  const bool feasibility = st.n_failed > 0 && st.n_ok > 0;
  const Eigen::Index outputs_total = m + (feasibility ? 1 : 0);
  Eigen::MatrixXd obs_pts(static_cast<Eigen::Index>(st.all.size()), d);
  Eigen::MatrixXd obs_Y(static_cast<Eigen::Index>(st.all.size()), outputs_total);
  for (std::size_t i = 0; i < st.all.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    obs_pts.row(r) = st.all[i]->point.transpose();
    obs_Y.row(r).head(m) = st.all[i]->outputs.transpose();
    if (feasibility) obs_Y(r, m) = st.all[i]->failed ? 0.0 : 1.0;
  }
  const DesignSpace working = working_space(space, feasibility);
  if (static_cast<Eigen::Index>(working.output_names().size()) != outputs_total)
    throw Error("propose: internal error: the feasibility output could not be added");
  Fitted fitted;
  if (oracle == nullptr) fitted = fit_models(options, features(obs_pts), obs_Y, input_reference(c, features), round_seed);
  else fitted = fit_with_oracles(c, options, *oracle, base_features, features, obs_pts, obs_Y, round_seed);
  const PosteriorModel& posterior = fitted.exact ? static_cast<const PosteriorModel&>(*fitted.exact) : *fitted.posterior;

  ProposeOptions po;
  po.batch.strategy = strategy;
  po.batch.q = options.q;
  po.batch.seed = round_seed;
  po.batch.ucb_beta = options.ucb_beta;
  // Several objectives: thresholds, else the front's rule. One objective: only a stated threshold
  // (the "front" is then the best value, and a reference point that close would zero the
  // constrained UCB of every candidate below it); without one select_batch keeps its own floor.
  const ReferencePoint ref = c.reference_point();
  if (m > 1 || ref.summary() == "threshold") po.batch.ref_point = ref.value;
  po.raw_samples = options.raw_samples;
  po.threads = options.threads;
  if (oracle != nullptr) {
    // A finite candidate set, scored whole: local refinement would call the oracle at every move.
    po.pool = oracle->candidates;
  } else if (options.enumerate_grid) {
    refuse_enumerate_with_pool(c, options);
    po.pool = feasible_grid_points(DesignGrid(space, default_process_grid(space)), kMaxEnumeratedCandidates);
    log_info("propose: scoring all " + std::to_string(po.pool.rows()) + " feasible grid points");
  } else {
    po.pool = c.pool();
  }
  std::shared_ptr<ApplicabilityDomain> domain;
  if (options.max_distance < std::numeric_limits<double>::infinity()) {
    if (!(options.max_distance >= 0)) throw InvalidArgument("propose: --max-distance must be >= 0");
    domain = std::make_shared<ApplicabilityDomain>();
    domain->fit(features(obs_pts), DomainOptions{5, 0.95, derive_seed(round_seed, 0xD0)});
    po.domain_score = [domain](const Eigen::MatrixXd& X) { return domain->score(X); };
    po.max_domain_score = options.max_distance;
    log_info("propose: trust region: domain score <= " + format_double(options.max_distance) +
             " (the measured points' cross-validation threshold is " + format_double(domain->threshold()) + ")");
  }
  return matopt::propose(working, posterior, features, obs_pts, obs_Y, stack(st.pending, d), po);
}

}  // namespace

std::vector<ProposalRecord> Campaign::propose(const CampaignProposeOptions& options, const std::vector<std::string>& argv) {
  if (options.q < 1) throw InvalidArgument("propose: --batch must be at least 1 (got " + std::to_string(options.q) + ")");
  if (options.enumerate_grid) check_grid_fits(DesignGrid(space_, default_process_grid(space_)), kMaxEnumeratedCandidates);
  std::optional<CampaignLock> lock;
  if (!is_in_memory()) {
    lock.emplace(path_, CampaignLock::default_timeout());
    load_from(path_);
  }

  const int round = rounds_ + 1;
  const std::uint64_t round_seed = derive_seed(seed_, static_cast<std::uint64_t>(round));
  const auto m = static_cast<Eigen::Index>(space_.output_names().size());
  const int min_measurements = options.min_measurements > 0 ? options.min_measurements
                                                            : default_min_measurements(space_.dimension(), pool_.rows() > 0);
  const RoundState st = gather(*this, min_measurements);
  const std::string strategy = options.strategy.empty() ? default_strategy(space_.objectives().size(), options.q) : options.strategy;
  const Eigen::VectorXd nan_m = Eigen::VectorXd::Constant(m, std::nan(""));

  std::vector<ProposalRecord> out;
  auto add = [&](const Eigen::VectorXd& point, const std::string& label) {
    ProposalRecord p;
    p.id = proposal_id(round, static_cast<int>(out.size()) + 1);
    p.round = round;
    p.state = "pending";
    p.point = point;
    p.formula = formula_of(point);
    p.predicted_mean = nan_m;
    p.predicted_std = nan_m;
    p.acquisition = std::nan("");
    p.strategy = label;
    out.push_back(std::move(p));
  };
  std::optional<OracleRound> oracle;
  if (space_.has_oracles()) oracle = run_oracles(*this, oracle_cache_, options, st, round_seed);
  if (!st.enough || strategy == "random") {
    const std::string label = st.enough ? "random" : "initial";
    const Eigen::MatrixXd& pool = oracle ? oracle->candidates : pool_;
    const bool in_order = oracle && oracle->sampled && !st.enough;
    for (const auto& p : model_free_picks(*this, pool, in_order, st, options.q, !st.enough, round_seed)) add(p, label);
    if (!st.enough)
      log_info("propose: fewer than " + std::to_string(std::max(2, min_measurements)) +
               " measurements per output; space-filling initial design");
    if (options.max_distance < std::numeric_limits<double>::infinity())
      log_warn("propose: --max-distance does not apply to " + label + " picks (no model, no measured domain yet)");
  } else {
    const ProposeResult res = model_picks(*this, st, options, strategy, round_seed, oracle ? &*oracle : nullptr);
    for (Eigen::Index k = 0; k < res.points.rows(); ++k) {
      add(res.points.row(k).transpose(), strategy);
      out.back().predicted_mean = res.mean.row(k).head(m).transpose();
      out.back().predicted_std = res.std.row(k).head(m).transpose();
      out.back().acquisition = res.acquisition_values[k];
    }
  }

  for (const auto& p : out) proposals_.push_back(p);
  rounds_ = round;
  add_history("propose",
              "round " + std::to_string(round) + ": " + std::to_string(out.size()) + " proposals (" +
                  (out.empty() ? strategy : out.front().strategy) + ") from " + std::to_string(st.n_ok) +
                  " measurements" + (st.n_failed ? ", " + std::to_string(st.n_failed) + " failed" : std::string()) +
                  ", " + std::to_string(st.pending.size()) + " pending",
              round_seed, argv);
  if (!is_in_memory()) save();
  return out;
}

}  // namespace matopt
