// SPDX-License-Identifier: MIT
// Campaign::propose: fit one surrogate per output (plus a feasibility model when experiments have
// failed), then let the optimize layer pick a batch with the pending proposals as pending points.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <memory>

#include "campaign/internal.hpp"
#include "matopt/acquisition/batch.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/campaign/lock.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/surrogate.hpp"
#include "matopt/optimize/pool.hpp"
#include "matopt/optimize/propose.hpp"
#include "matopt/optimize/sampling.hpp"

namespace matopt {

using namespace campaign_detail;

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

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  std::filesystem::path path;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove(path, ec);
  }
};

}  // namespace

std::vector<ProposalRecord> Campaign::propose(const CampaignProposeOptions& options, const std::vector<std::string>& argv) {
  if (options.q < 1) throw InvalidArgument("propose: --batch must be at least 1 (got " + std::to_string(options.q) + ")");
  CampaignLock lock(path_, CampaignLock::default_timeout());
  load_from(path_);

  const int round = rounds_ + 1;
  const std::uint64_t round_seed = derive_seed(seed_, static_cast<std::uint64_t>(round));
  const auto m = static_cast<Eigen::Index>(space_.output_names().size());
  const Eigen::Index d = space_.dimension();

  std::vector<Eigen::VectorXd> taken;  // measured or pending: never proposed again
  std::vector<const MeasurementRecord*> all;
  std::size_t n_ok = 0, n_failed = 0;
  for (const auto& r : measurements_) {
    taken.push_back(r.point);
    all.push_back(&r);
    if (r.failed) ++n_failed;
    else ++n_ok;
  }
  std::vector<Eigen::VectorXd> pending;
  for (const auto& p : proposals_)
    if (p.state == "pending") {
      pending.push_back(p.point);
      taken.push_back(p.point);
    }

  // Every objective needs enough values to fit a model; otherwise start with a space-filling design.
  bool enough = true;
  for (Eigen::Index k = 0; k < m; ++k) {
    int count = 0;
    for (const auto* r : all)
      if (!r->failed && std::isfinite(r->outputs[k])) ++count;
    if (count < std::max(2, options.min_measurements)) enough = false;
  }

  std::string strategy = options.strategy.empty() ? std::string("qnehvi") : options.strategy;
  std::vector<ProposalRecord> out;
  const Eigen::VectorXd nan_m = Eigen::VectorXd::Constant(m, std::nan(""));

  if (!enough || strategy == "random") {
    const std::string label = enough ? "random" : "initial";
    Rng rng(round_seed);
    std::vector<Eigen::VectorXd> picks;
    if (pool_.rows() > 0) {
      std::vector<Eigen::Index> free;
      for (Eigen::Index r = 0; r < pool_.rows(); ++r)
        if (!near_any(pool_.row(r).transpose(), taken)) free.push_back(r);
      if (static_cast<int>(free.size()) < options.q)
        throw InvalidArgument("propose: only " + std::to_string(free.size()) + " pool candidates are neither measured nor pending; cannot propose " + std::to_string(options.q));
      for (int k = 0; k < options.q; ++k) {
        // Partial Fisher-Yates: a seeded sample without replacement.
        const auto j = static_cast<std::size_t>(k) + uniform_index(rng, free.size() - static_cast<std::size_t>(k));
        std::swap(free[static_cast<std::size_t>(k)], free[j]);
        picks.push_back(pool_.row(free[static_cast<std::size_t>(k)]).transpose());
      }
    } else {
      SampleOptions so;
      so.method = label == "random" ? SampleMethod::Random : SampleMethod::Sobol;
      const int n = options.q + static_cast<int>(taken.size()) + 8;
      const Eigen::MatrixXd pts = sample_design_points(space_, n, round_seed, so);
      for (Eigen::Index r = 0; r < pts.rows() && static_cast<int>(picks.size()) < options.q; ++r) {
        Eigen::VectorXd p = pts.row(r).transpose();
        if (!near_any(p, taken) && !near_any(p, picks)) picks.push_back(p);
      }
      if (static_cast<int>(picks.size()) < options.q)
        throw InvalidArgument("propose: the design space yielded only " + std::to_string(picks.size()) + " new points");
    }
    for (std::size_t k = 0; k < picks.size(); ++k) {
      ProposalRecord p;
      p.id = proposal_id(round, static_cast<int>(k) + 1);
      p.round = round;
      p.state = "pending";
      p.point = picks[k];
      p.formula = formula_of(p.point);
      p.predicted_mean = nan_m;
      p.predicted_std = nan_m;
      p.acquisition = std::nan("");
      p.strategy = label;
      out.push_back(std::move(p));
    }
    if (!enough)
      log_info("propose: fewer than " + std::to_string(std::max(2, options.min_measurements)) +
               " measurements per output; space-filling initial design");
  } else {
    // Model inputs.
    FeatureFn features;
    std::shared_ptr<Pipeline> pipeline;
    if (options.features == "point") {
      const DesignSpace* sp = &space_;
      features = [sp](const Eigen::MatrixXd& pts) { return point_features(*sp, pts); };
    } else {
      if (!space_.has_composition())
        throw InvalidArgument("propose: --features '" + options.features + "' needs a composition block; use 'point'");
      PipelineOptions po;
      po.features = options.features;
      pipeline = std::make_shared<Pipeline>(po);
      Eigen::MatrixXd pts(static_cast<Eigen::Index>(all.size()), d);
      for (std::size_t i = 0; i < all.size(); ++i) pts.row(static_cast<Eigen::Index>(i)) = all[i]->point.transpose();
      pipeline->fit(space_.to_dataset(pts));
      const DesignSpace* sp = &space_;
      features = [sp, pipeline](const Eigen::MatrixXd& p) { return pipeline->transform(sp->to_dataset(p)); };
    }

    const bool feasibility = n_failed > 0 && n_ok > 0;
    const Eigen::Index outputs_total = m + (feasibility ? 1 : 0);
    Eigen::MatrixXd obs_pts(static_cast<Eigen::Index>(all.size()), d);
    Eigen::MatrixXd obs_Y(static_cast<Eigen::Index>(all.size()), outputs_total);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      obs_pts.row(r) = all[i]->point.transpose();
      obs_Y.row(r).head(m) = all[i]->outputs.transpose();
      if (feasibility) obs_Y(r, m) = all[i]->failed ? 0.0 : 1.0;
    }
    const Eigen::MatrixXd X = features(obs_pts);

    // The GP fits a campaign's first rounds on a handful of rows: few-point priors unless set.
    const std::string model_options =
        options.model == "gp" ? gp_options_with_few_point_priors(options.model_options) : options.model_options;
    std::vector<std::unique_ptr<Surrogate>> models;
    for (Eigen::Index k = 0; k < outputs_total; ++k) {
      std::vector<Eigen::Index> rows;
      for (Eigen::Index i = 0; i < obs_Y.rows(); ++i)
        if (std::isfinite(obs_Y(i, k))) rows.push_back(i);
      Eigen::MatrixXd Xk(static_cast<Eigen::Index>(rows.size()), X.cols());
      Eigen::VectorXd yk(static_cast<Eigen::Index>(rows.size()));
      for (std::size_t i = 0; i < rows.size(); ++i) {
        Xk.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
        yk[static_cast<Eigen::Index>(i)] = obs_Y(rows[i], k);
      }
      auto model = make_surrogate(options.model, model_options, derive_seed(round_seed, 1000 + static_cast<std::uint64_t>(k)));
      model->fit(Xk, yk);
      models.push_back(std::move(model));
    }
    std::vector<const Surrogate*> ptrs;
    for (const auto& mdl : models) ptrs.push_back(mdl.get());
    IndependentPosterior posterior(ptrs);

    DesignSpaceSpec spec = space_.spec();
    if (feasibility) {
      // Failed experiments train a success model (1 = ok, 0 = failed) declared as one more output
      // with the constraint "> 1/2": the acquisition then weighs candidates by the probability of
      // feasibility. DesignSpace numbers a new constraint-only output after the declared ones (= m).
      OutcomeConstraint c;
      c.name = "experiment_succeeds";
      c.lower = 0.5;
      spec.outcome_constraints.push_back(c);
    }
    TempFile pool_file;
    if (pool_.rows() > 0) {
      pool_file.path = std::filesystem::temp_directory_path() /
                       ("matopt-pool-" + std::to_string(::getpid()) + "-" + std::to_string(round) + ".csv");
      write_pool_csv(space_, pool_, pool_file.path);
      spec.pool = CandidatePool{pool_file.path};
    }
    const DesignSpace working(spec);
    if (static_cast<Eigen::Index>(working.output_names().size()) != outputs_total)
      throw Error("propose: internal error: the feasibility output could not be added");

    ProposeOptions po;
    po.batch.strategy = strategy;
    po.batch.q = options.q;
    po.batch.seed = round_seed;
    po.raw_samples = options.raw_samples;
    Eigen::MatrixXd pend(static_cast<Eigen::Index>(pending.size()), d);
    for (std::size_t i = 0; i < pending.size(); ++i) pend.row(static_cast<Eigen::Index>(i)) = pending[i].transpose();

    const ProposeResult res = matopt::propose(working, posterior, features, obs_pts, obs_Y, pend, po);
    for (Eigen::Index k = 0; k < res.points.rows(); ++k) {
      ProposalRecord p;
      p.id = proposal_id(round, static_cast<int>(k) + 1);
      p.round = round;
      p.state = "pending";
      p.point = res.points.row(k).transpose();
      p.formula = formula_of(p.point);
      p.predicted_mean = res.mean.row(k).head(m).transpose();
      p.predicted_std = res.std.row(k).head(m).transpose();
      p.acquisition = res.acquisition_values[k];
      p.strategy = strategy;
      out.push_back(std::move(p));
    }
  }

  for (const auto& p : out) proposals_.push_back(p);
  rounds_ = round;
  add_history("propose",
              "round " + std::to_string(round) + ": " + std::to_string(out.size()) + " proposals (" +
                  (out.empty() ? strategy : out.front().strategy) + ") from " + std::to_string(n_ok) +
                  " measurements" + (n_failed ? ", " + std::to_string(n_failed) + " failed" : std::string()) +
                  ", " + std::to_string(pending.size()) + " pending",
              round_seed, argv);
  save();
  return out;
}

}  // namespace matopt
