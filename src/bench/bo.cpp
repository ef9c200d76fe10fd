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

#include "matopt/acquisition/batch.hpp"
#include "matopt/bench/synthetic.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/surrogate.hpp"
#include "matopt/optimize/pool.hpp"
#include "matopt/optimize/propose.hpp"
#include "matopt/optimize/sampling.hpp"

namespace matopt {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct FittedModels {
  std::vector<std::unique_ptr<Surrogate>> models;
  std::unique_ptr<IndependentPosterior> posterior;
};

FittedModels fit_gps(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y, const std::string& gp_options, std::uint64_t seed) {
  FittedModels f;
  std::vector<const Surrogate*> ptrs;
  for (Eigen::Index k = 0; k < Y.cols(); ++k) {
    auto m = make_surrogate("gp", gp_options, derive_seed(seed, static_cast<std::uint64_t>(k)));
    m->fit(X, Y.col(k));
    ptrs.push_back(m.get());
    f.models.push_back(std::move(m));
  }
  f.posterior = std::make_unique<IndependentPosterior>(ptrs);
  return f;
}

// HV of the first n rows at every checkpoint n.
void record(BoTrace& t, const SyntheticProblem& p, const Eigen::MatrixXd& Y, const std::vector<int>& checkpoints) {
  for (int n : checkpoints) {
    t.evaluations.push_back(n);
    t.hypervolume.push_back(minimization_hypervolume(Y.topRows(n), p.ref_point));
  }
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

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

BoBenchResult run_bo_benchmark(const BoBenchOptions& o, const std::function<void(int, int)>& progress) {
  if (o.budget < 1 || o.batch < 1 || o.repeats < 1) throw InvalidArgument("bench bo: budget, batch and repeats must be >= 1");
  SyntheticProblem p = make_synthetic_problem(o.problem);
  const int d = p.space.dimension();
  const int n0 = std::min(o.budget, o.init > 0 ? o.init : 2 * (d + 1));
  std::vector<int> checkpoints{n0};
  while (checkpoints.back() < o.budget) checkpoints.push_back(std::min(o.budget, checkpoints.back() + o.batch));

  BoBenchResult res;
  res.options = o;
  res.problem_description = p.description;
  res.ref_point.assign(p.ref_point.data(), p.ref_point.data() + p.ref_point.size());
  res.max_hypervolume = p.max_hypervolume;
  res.max_hypervolume_source = p.max_hypervolume_source;
  std::vector<std::string> methods{o.strategy};
  if (o.baselines) {
    methods.push_back("sobol");
    methods.push_back("random");
  }
  const int total = static_cast<int>(methods.size()) * o.repeats;
  int done = 0;
  for (int r = 0; r < o.repeats; ++r) {
    const std::uint64_t seed = derive_seed(o.seed, static_cast<std::uint64_t>(r));
    for (const auto& method : methods) {
      BoTrace t;
      t.method = method;
      t.repeat = r;
      auto start = Clock::now();
      if (method == "sobol" || method == "random") {
        SampleOptions so;
        so.method = method == "sobol" ? SampleMethod::Sobol : SampleMethod::Random;
        Eigen::MatrixXd X = sample_design_points(p.space, o.budget, seed, so);
        record(t, p, p.evaluate_all(X), checkpoints);
      } else {
        // Initial design: the same Sobol points the "sobol" baseline starts with.
        Eigen::MatrixXd X = sample_design_points(p.space, o.budget, seed).topRows(n0);
        Eigen::MatrixXd Y = p.evaluate_all(X);
        for (std::size_t c = 1; c < checkpoints.size(); ++c) {
          const int q = checkpoints[c] - checkpoints[c - 1];
          FittedModels fm = fit_gps(X, Y, o.gp_options, derive_seed(seed, 100 + c));
          ProposeOptions po;
          po.batch.strategy = method;
          po.batch.q = q;
          po.batch.mc_samples = o.mc_samples;
          po.batch.seed = derive_seed(seed, 200 + c);
          po.batch.ref_point = -p.ref_point;  // maximization orientation
          po.raw_samples = o.raw_samples;
          po.refine_starts = o.refine_starts;
          po.refine_iterations = o.refine_iterations;
          po.threads = o.threads;
          ProposeResult pr = propose(p.space, *fm.posterior, identity_features(), X, Y, Eigen::MatrixXd(), po);
          Eigen::MatrixXd Yn = p.evaluate_all(pr.points);
          X.conservativeResize(X.rows() + q, Eigen::NoChange);
          Y.conservativeResize(Y.rows() + q, Eigen::NoChange);
          X.bottomRows(q) = pr.points;
          Y.bottomRows(q) = Yn;
        }
        record(t, p, Y, checkpoints);
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
  j["options"] = {{"budget", o.budget}, {"batch", o.batch}, {"repeats", o.repeats}, {"init", o.init},
                  {"strategy", o.strategy}, {"seed", o.seed}, {"gp_options", o.gp_options},
                  {"raw_samples", o.raw_samples}, {"refine_starts", o.refine_starts}, {"refine_iterations", o.refine_iterations}, {"mc_samples", o.mc_samples}};
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
    j["runs"].push_back({{"method", t.method}, {"repeat", t.repeat}, {"seconds", t.seconds}, {"evaluations", t.evaluations},
                         {"hypervolume", t.hypervolume}, {"log10_hv_regret", regret}});
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
     << r.options.batch << ", repeats " << r.options.repeats << "\n";
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
  Eigen::MatrixXd X = sample_design_points(p.space, o.train_points, o.seed);
  Eigen::MatrixXd Y = p.evaluate_all(X);
  auto t0 = Clock::now();
  FittedModels fm = fit_gps(X, Y, o.gp_options, derive_seed(o.seed, 1));
  res.fit_seconds = since(t0);

  SampleOptions rnd;
  rnd.method = SampleMethod::Random;
  Eigen::MatrixXd pool = sample_design_points(p.space, o.pool_size, derive_seed(o.seed, 2), rnd);
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("matopt-latency-" + std::to_string(static_cast<unsigned long long>(derive_seed(o.seed, 3) % 1000000007ULL)) +
                               "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{dir};
  const auto file = dir / "pool.csv";
  write_pool_csv(p.space, pool, file);
  DesignSpaceSpec spec = p.space.spec();
  spec.pool = CandidatePool{file};
  DesignSpace space(std::move(spec));

  t0 = Clock::now();
  for_each_pool_chunk(space, file, 8192, [](const Eigen::MatrixXd&, const std::vector<std::size_t>&) {});
  res.pool_read_seconds = since(t0);

  for (int r = 0; r < o.repeats; ++r) {
    ProposeOptions po;
    po.batch.strategy = o.strategy;
    po.batch.q = o.q;
    po.batch.seed = derive_seed(o.seed, 10 + static_cast<std::uint64_t>(r));
    po.batch.ref_point = -p.ref_point;
    po.threads = o.threads;
    t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    ProposeResult pr = propose(space, *fm.posterior, identity_features(), X, Y, Eigen::MatrixXd(), po);
    res.propose_seconds.push_back(since(t0));
    res.propose_cpu_seconds.push_back(static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    res.candidates_scored = pr.candidates_scored;
  }
  return res;
}

std::string latency_summary(const LatencyResult& r) {
  std::ostringstream os;
  const auto& o = r.options;
  std::vector<double> s = r.propose_seconds;
  std::sort(s.begin(), s.end());
  os << "proposal latency: DTLZ2 (d=6, m=2), GP per objective on " << o.train_points << " points, strategy " << o.strategy
     << ", q " << o.q << ", pool of " << o.pool_size << " candidates (CSV, streamed)\n";
  os << "  GP fit (both objectives, not included): " << fixed(r.fit_seconds, 3) << " s\n";
  os << "  pool CSV streaming alone: " << fixed(r.pool_read_seconds, 3) << " s\n";
  os << "  propose(): median " << fixed(quantile(s, 0.5), 3) << " s, min " << fixed(s.front(), 3) << " s, max "
     << fixed(s.back(), 3) << " s over " << s.size() << " repeats; " << r.candidates_scored << " candidates scored\n";
  std::vector<double> c = r.propose_cpu_seconds;
  std::sort(c.begin(), c.end());
  if (!c.empty()) os << "  propose() CPU time (all threads): median " << fixed(quantile(c, 0.5), 3) << " s\n";
  return os.str();
}

}  // namespace matopt
