// SPDX-License-Identifier: MIT
#include "matopt/bench/bo.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>

#include "core/median.hpp"
#include "matopt/acquisition/batch.hpp"
#include "matopt/bench/synthetic.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/models/surrogate.hpp"
#include "matopt/optimize/pool.hpp"
#include "matopt/optimize/propose.hpp"
#include "matopt/optimize/sampling.hpp"

namespace matopt {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// HV of the first n rows at every checkpoint n.
void record(BoTrace& t, const SyntheticProblem& p, const Eigen::MatrixXd& Y, const std::vector<int>& checkpoints) {
  for (int n : checkpoints) {
    t.evaluations.push_back(n);
    t.hypervolume.push_back(minimization_hypervolume(Y.topRows(n), p.ref_point));
  }
}

double quantile(const std::vector<double>& v, double q) { return detail::interpolated_quantile(v, q); }

double log10_regret(double hv, double max_hv) {
  double r = max_hv - hv;
  return r > 0 ? std::log10(r) : -std::numeric_limits<double>::infinity();
}

std::string fixed(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

}  // namespace

DesignSpace bo_design_space(const SyntheticProblem& p, bool thresholds) {
  DesignSpaceSpec spec = p.space.spec();
  if (thresholds)
    for (std::size_t k = 0; k < spec.objectives.size(); ++k) spec.objectives[k].threshold = p.ref_point[static_cast<Eigen::Index>(k)];
  return DesignSpace(std::move(spec));
}

namespace {

// One BO run: an in-memory campaign proposing batch after batch, answered by the problem. Returns
// the objective values; `X` gets the points, in evaluation order.
Eigen::MatrixXd run_campaign(const SyntheticProblem& p, const BoBenchOptions& o, std::uint64_t seed, Eigen::MatrixXd& X) {
  Campaign c = Campaign::in_memory(bo_design_space(p, o.thresholds), Eigen::MatrixXd(), seed);
  Eigen::MatrixXd Y(0, p.num_objectives);
  X.resize(0, p.space.dimension());
  CampaignProposeOptions po = o.propose;
  while (Y.rows() < o.budget) {
    po.q = std::min<int>(o.batch, o.budget - static_cast<int>(Y.rows()));
    std::vector<ResultRow> results;
    for (const ProposalRecord& pr : c.propose(po)) {
      ResultRow row;
      row.proposal_id = pr.id;
      row.outputs = p.evaluate(pr.point);
      Y.conservativeResize(Y.rows() + 1, Eigen::NoChange);
      Y.row(Y.rows() - 1) = row.outputs.transpose();
      X.conservativeResize(X.rows() + 1, Eigen::NoChange);
      X.row(X.rows() - 1) = pr.point.transpose();
      results.push_back(std::move(row));
    }
    c.add_results(results, "problem");
  }
  return Y;
}

}  // namespace

BoBenchResult run_bo_benchmark(const BoBenchOptions& o, const std::function<void(int, int)>& progress) {
  if (o.budget < 1 || o.batch < 1 || o.repeats < 1) throw InvalidArgument("bench bo: budget, batch and repeats must be >= 1");
  SyntheticProblem p = make_synthetic_problem(o.problem);
  std::vector<int> checkpoints{std::min(o.batch, o.budget)};
  while (checkpoints.back() < o.budget) checkpoints.push_back(std::min(o.budget, checkpoints.back() + o.batch));

  BoBenchResult res;
  res.options = o;
  res.strategy = o.propose.strategy.empty() ? default_strategy(static_cast<std::size_t>(p.num_objectives), o.batch) : o.propose.strategy;
  res.problem_description = p.description;
  res.ref_point.assign(p.ref_point.data(), p.ref_point.data() + p.ref_point.size());
  res.max_hypervolume = p.max_hypervolume;
  res.max_hypervolume_source = p.max_hypervolume_source;
  std::vector<std::string> methods{res.strategy};
  if (o.baselines) {
    methods.push_back("sobol");
    methods.push_back("random");
  }
  const int total = static_cast<int>(methods.size()) * o.repeats;
  int done = 0;
  for (int r = 0; r < o.repeats; ++r) {
    const std::uint64_t seed = derive_seed(o.seed, static_cast<std::uint64_t>(r));
    for (std::size_t mi = 0; mi < methods.size(); ++mi) {
      const std::string& method = methods[mi];
      BoTrace t;
      t.method = method;
      t.repeat = r;
      auto start = Clock::now();
      if (mi > 0) {
        SampleOptions so;
        so.method = method == "sobol" ? SampleMethod::Sobol : SampleMethod::Random;
        Eigen::MatrixXd X = sample_design_points(p.space, o.budget, seed, so);
        record(t, p, p.evaluate_all(X), checkpoints);
      } else {
        record(t, p, run_campaign(p, o, seed, t.points), checkpoints);
      }
      t.seconds = since(start);
      log_info("bench bo: " + method + " repeat " + std::to_string(r) + " final HV " + std::to_string(t.hypervolume.back()) +
               " (" + std::to_string(t.seconds) + " s)");
      res.traces.push_back(std::move(t));
      if (progress) progress(++done, total);
    }
  }
  return res;
}

std::string bo_results_json(const BoBenchResult& r) {
  nlohmann::json j;
  const auto& o = r.options;
  j["benchmark"] = "bo";
  j["problem"] = o.problem;
  j["description"] = r.problem_description;
  j["options"] = {{"budget", o.budget}, {"batch", o.batch}, {"repeats", o.repeats},
                  {"strategy", r.strategy}, {"seed", o.seed}, {"model", o.propose.model},
                  {"model_options", o.propose.model_options}, {"min_measurements", o.propose.min_measurements},
                  {"raw_samples", o.propose.raw_samples}, {"thresholds", o.thresholds}};
  j["ref_point"] = r.ref_point;
  j["max_hypervolume"] = r.max_hypervolume;
  j["max_hypervolume_source"] = r.max_hypervolume_source;
  j["runs"] = nlohmann::json::array();
  for (const auto& t : r.traces) {
    std::vector<double> regret;
    for (double hv : t.hypervolume) {
      double lr = log10_regret(hv, r.max_hypervolume);
      regret.push_back(std::isfinite(lr) ? lr : -99.0);
    }
    nlohmann::json run = {{"method", t.method}, {"repeat", t.repeat}, {"seconds", t.seconds}, {"evaluations", t.evaluations},
                          {"hypervolume", t.hypervolume}, {"log10_hv_regret", regret}};
    if (t.method == r.strategy) {
      // The campaign's seed and its points in evaluation order: enough to replay the run through the CLI.
      run["campaign_seed"] = derive_seed(o.seed, static_cast<std::uint64_t>(t.repeat));
      nlohmann::json pts = nlohmann::json::array();
      for (Eigen::Index i = 0; i < t.points.rows(); ++i) {
        std::vector<double> row(static_cast<std::size_t>(t.points.cols()));
        for (Eigen::Index k = 0; k < t.points.cols(); ++k) row[static_cast<std::size_t>(k)] = t.points(i, k);
        pts.push_back(row);
      }
      run["points"] = pts;
    }
    j["runs"].push_back(run);
  }
  return j.dump(2) + "\n";
}

std::string bo_summary_table(const BoBenchResult& r) {
  std::map<std::string, std::vector<const BoTrace*>> by;
  std::vector<std::string> methods;
  for (const auto& t : r.traces) {
    if (!by.count(t.method)) methods.push_back(t.method);
    by[t.method].push_back(&t);
  }
  std::ostringstream os;
  os << "problem " << r.options.problem << " (" << r.problem_description << "), budget " << r.options.budget << ", q "
     << r.options.batch << ", repeats " << r.options.repeats << ", strategy " << r.strategy
     << (r.options.thresholds ? ", thresholds = the reference point" : ", no thresholds (reference point from the front)") << "\n";
  os << "true front HV " << r.max_hypervolume << " (" << r.max_hypervolume_source << "), reference point [";
  for (std::size_t i = 0; i < r.ref_point.size(); ++i) os << (i ? ", " : "") << r.ref_point[i];
  os << "]\n\nmedian hypervolume [min, max] over repeats; log10 regret of the median\n";
  char line[256];
  std::snprintf(line, sizeof line, "%6s", "evals");
  os << line;
  for (const auto& m : methods) {
    std::snprintf(line, sizeof line, " | %-34s", m.c_str());
    os << line;
  }
  os << "\n";
  const auto& ev = r.traces.front().evaluations;
  for (std::size_t c = 0; c < ev.size(); ++c) {
    std::snprintf(line, sizeof line, "%6d", ev[c]);
    os << line;
    for (const auto& m : methods) {
      std::vector<double> v;
      for (auto* t : by[m]) v.push_back(t->hypervolume[c]);
      double med = quantile(v, 0.5);
      std::string cell = fixed(med, 4) + " [" + fixed(quantile(v, 0) , 4) + ", " + fixed(quantile(v, 1), 4) + "] " +
                         fixed(log10_regret(med, r.max_hypervolume), 2);
      std::snprintf(line, sizeof line, " | %-34s", cell.c_str());
      os << line;
    }
    os << "\n";
  }
  os << "\nfinal (" << ev.back() << " evaluations):\n";
  for (const auto& m : methods) {
    std::vector<double> v;
    double secs = 0.0;
    for (auto* t : by[m]) {
      v.push_back(t->hypervolume.back());
      secs += t->seconds;
    }
    double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double var = 0.0;
    for (double x : v) var += (x - mean) * (x - mean);
    double sd = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0.0;
    double med = quantile(v, 0.5);
    std::snprintf(line, sizeof line,
                  "  %-8s median HV %.5f (%.1f%% of true front), mean %.5f, sd %.5f, IQR [%.5f, %.5f], median log10 regret %.2f, %.1f s/run\n",
                  m.c_str(), med, 100.0 * med / r.max_hypervolume, mean, sd, quantile(v, 0.25), quantile(v, 0.75),
                  log10_regret(med, r.max_hypervolume), secs / static_cast<double>(v.size()));
    os << line;
  }
  return os.str();
}

LatencyResult run_propose_latency(const LatencyOptions& o) {
  LatencyResult res;
  res.options = o;
  SyntheticProblem p = make_synthetic_problem("dtlz2");
  SampleOptions rnd;
  rnd.method = SampleMethod::Random;
  const Eigen::MatrixXd pool = sample_design_points(p.space, o.pool_size, derive_seed(o.seed, 2), rnd);
  Campaign c = Campaign::in_memory(p.space, pool, o.seed);
  std::vector<ResultRow> measured;
  for (Eigen::Index i = 0; i < std::min<Eigen::Index>(o.train_points, pool.rows()); ++i) {
    ResultRow row;
    row.point = pool.row(i).transpose();
    row.outputs = p.evaluate(row.point);
    measured.push_back(std::move(row));
  }
  c.add_results(measured, "problem");
  CampaignProposeOptions po = o.propose;
  po.q = o.q;
  for (int r = 0; r < o.repeats; ++r) {
    Campaign round = c;  // every repeat proposes the same round from the same state
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    (void)round.propose(po);
    res.propose_seconds.push_back(since(t0));
    res.propose_cpu_seconds.push_back(static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
  }
  return res;
}

std::string latency_summary(const LatencyResult& r) {
  std::ostringstream os;
  const auto& o = r.options;
  std::vector<double> s = r.propose_seconds;
  std::sort(s.begin(), s.end());
  const std::string strategy = o.propose.strategy.empty() ? default_strategy(2, o.q) : o.propose.strategy;
  os << "proposal latency: DTLZ2 (d=6, m=2), in-memory campaign, " << o.train_points << " measurements, strategy " << strategy
     << ", q " << o.q << ", pool of " << o.pool_size << " candidates\n";
  os << "  Campaign::propose (model fits included): median " << fixed(quantile(s, 0.5), 3) << " s, min " << fixed(s.front(), 3)
     << " s, max " << fixed(s.back(), 3) << " s over " << s.size() << " repeats\n";
  std::vector<double> c = r.propose_cpu_seconds;
  std::sort(c.begin(), c.end());
  if (!c.empty()) os << "  CPU time (all threads): median " << fixed(quantile(c, 0.5), 3) << " s\n";
  return os.str();
}

}  // namespace matopt
