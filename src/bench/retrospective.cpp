// SPDX-License-Identifier: MIT
// Retrospective pool-based campaigns (Liang et al. 2021 protocol) behind `matopt bench campaign`.
#include "matopt/bench/retrospective.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

#include "matopt/acquisition/batch.hpp"
#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/auto_model.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt {

namespace {

struct InputSpec {
  std::string name;
  bool categorical = false;
  std::vector<std::string> options;
  double low = std::numeric_limits<double>::quiet_NaN();  ///< config bounds (NaN = not given)
  double high = std::numeric_limits<double>::quiet_NaN();
};

/// The design space of a pool: config bounds widened to the data's range so every row is inside.
DesignSpace pool_space(const std::vector<InputSpec>& inputs, const RetrospectivePool& pool,
                       const std::vector<std::vector<double>>& keys) {
  DesignSpaceSpec spec;
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    ProcessParameter q;
    q.name = inputs[j].name;
    if (inputs[j].categorical) {
      q.kind = ParameterKind::Categorical;
      q.categories = inputs[j].options;
    } else {
      double lo = inputs[j].low, hi = inputs[j].high;
      for (const auto& k : keys) {
        lo = std::isnan(lo) ? k[j] : std::min(lo, k[j]);
        hi = std::isnan(hi) ? k[j] : std::max(hi, k[j]);
      }
      q.lower = lo;
      q.upper = hi > lo ? hi : lo + 1.0;  // a constant column: any width (the models drop it)
    }
    spec.process.push_back(std::move(q));
  }
  for (std::size_t k = 0; k < pool.objectives.size(); ++k) {
    Objective o;
    o.name = pool.objectives[k];
    o.goal = pool.maximize[k] ? Goal::Maximize : Goal::Minimize;
    spec.objectives.push_back(o);
  }
  return DesignSpace(std::move(spec));
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Oriented (maximization) objectives of the pool.
Eigen::MatrixXd oriented(const RetrospectivePool& pool) {
  Eigen::MatrixXd Y = pool.Y;
  for (Eigen::Index k = 0; k < Y.cols(); ++k)
    if (!pool.maximize[static_cast<std::size_t>(k)]) Y.col(k) *= -1.0;
  return Y;
}

/// First evaluation count at which a curve reaches `level` (NaN if never).
double first_reach(const std::vector<double>& curve, double level) {
  for (std::size_t i = 0; i < curve.size(); ++i)
    if (curve[i] >= level - 1e-12) return static_cast<double>(i + 1);
  return std::nan("");
}

}  // namespace

std::string retrospective_model_options(const std::string& model, const std::string& user_options) {
  try {
    return campaign_model_options(model, user_options);  // what `matopt propose` fits with
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("bench campaign: --model-options: ") + e.what());
  }
}

RetrospectivePool load_retrospective_pool(const std::filesystem::path& csv, const std::filesystem::path& config) {
  nlohmann::json cfg;
  {
    std::ifstream in(config);
    if (!in) throw IOError(config.string() + ": cannot open the config file");
    try {
      in >> cfg;
    } catch (const std::exception& e) {
      throw DataError(config.string() + ": not valid JSON: " + e.what());
    }
  }
  RetrospectivePool pool;
  pool.name = cfg.value("name", csv.stem().string());
  std::vector<InputSpec> inputs;
  if (!cfg.contains("parameters") || !cfg["parameters"].is_array() || cfg["parameters"].empty())
    throw DataError(config.string() + ": 'parameters' must be a non-empty array");
  for (const auto& p : cfg["parameters"]) {
    InputSpec s;
    s.name = p.at("name").get<std::string>();
    const std::string type = p.value("type", "continuous");
    if (type == "categorical") {
      s.categorical = true;
      if (p.contains("options")) s.options = p["options"].get<std::vector<std::string>>();
    } else if (type != "continuous" && type != "discrete" && type != "integer") {
      throw DataError(config.string() + ": parameter '" + s.name + "': unknown type '" + type +
                      "' (expected continuous, discrete, integer or categorical)");
    } else if (p.contains("low") && p.contains("high") && p["low"].is_number() && p["high"].is_number()) {
      s.low = p["low"].get<double>();
      s.high = p["high"].get<double>();
    }
    inputs.push_back(std::move(s));
    pool.inputs.push_back(inputs.back().name);
  }
  if (!cfg.contains("objectives") || !cfg["objectives"].is_array() || cfg["objectives"].empty())
    throw DataError(config.string() + ": 'objectives' must be a non-empty array");
  for (const auto& o : cfg["objectives"]) {
    pool.objectives.push_back(o.at("name").get<std::string>());
    const std::string goal = o.value("goal", "maximize");
    if (goal != "maximize" && goal != "minimize")
      throw DataError(config.string() + ": objective '" + pool.objectives.back() + "': goal must be maximize or minimize");
    pool.maximize.push_back(goal == "maximize");
  }

  const CsvTable table = read_csv(csv);
  std::vector<std::size_t> in_col, out_col;
  for (const auto& s : inputs) in_col.push_back(table.column(s.name));
  for (const auto& o : pool.objectives) out_col.push_back(table.column(o));
  // Categories not listed in the config are added in order of appearance.
  for (std::size_t j = 0; j < inputs.size(); ++j)
    if (inputs[j].categorical)
      for (const auto& row : table.rows)
        if (std::find(inputs[j].options.begin(), inputs[j].options.end(), row[in_col[j]]) == inputs[j].options.end())
          inputs[j].options.push_back(row[in_col[j]]);

  // Group identical inputs (exact parsed values / labels) and average their objectives.
  std::map<std::vector<double>, std::size_t> group_of;
  std::vector<std::vector<double>> keys;
  std::vector<Eigen::VectorXd> sums;
  std::vector<int> counts;
  const auto m = static_cast<Eigen::Index>(pool.objectives.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::size_t line = r < table.line_of_row.size() ? table.line_of_row[r] : r + 2;
    std::vector<double> key;
    bool skip = false;
    for (std::size_t j = 0; j < inputs.size(); ++j) {
      const std::string& cell = row[in_col[j]];
      if (inputs[j].categorical) {
        key.push_back(static_cast<double>(std::find(inputs[j].options.begin(), inputs[j].options.end(), cell) -
                                          inputs[j].options.begin()));
      } else {
        double v = 0;
        if (!parse_double(cell, v) || !std::isfinite(v))
          throw DataError(format_location({csv.string(), line, inputs[j].name, cell}, "expected a finite number"));
        key.push_back(v);
      }
    }
    Eigen::VectorXd y(m);
    for (Eigen::Index k = 0; k < m; ++k) {
      const std::string& cell = row[out_col[static_cast<std::size_t>(k)]];
      double v = 0;
      if (cell.empty()) {
        skip = true;  // an unmeasured row is not a candidate with a known outcome
        break;
      }
      if (!parse_double(cell, v) || !std::isfinite(v))
        throw DataError(format_location({csv.string(), line, pool.objectives[static_cast<std::size_t>(k)], cell},
                                        "expected a finite number"));
      y[k] = v;
    }
    if (skip) continue;
    ++pool.rows_read;
    auto [it, inserted] = group_of.emplace(key, keys.size());
    if (inserted) {
      keys.push_back(key);
      sums.push_back(y);
      counts.push_back(1);
    } else {
      sums[it->second] += y;
      ++counts[it->second];
    }
  }
  if (keys.size() < 4) throw DataError(csv.string() + ": fewer than 4 distinct candidates; nothing to benchmark");

  int width = 0;
  for (const auto& s : inputs) width += s.categorical ? static_cast<int>(s.options.size()) : 1;
  pool.X = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(keys.size()), width);
  pool.Y.resize(static_cast<Eigen::Index>(keys.size()), m);
  for (std::size_t g = 0; g < keys.size(); ++g) {
    const auto r = static_cast<Eigen::Index>(g);
    int c = 0;
    for (std::size_t j = 0; j < inputs.size(); ++j) {
      if (inputs[j].categorical) {
        pool.X(r, c + static_cast<int>(keys[g][j])) = 1.0;
        c += static_cast<int>(inputs[j].options.size());
      } else {
        pool.X(r, c++) = keys[g][j];
      }
    }
    pool.Y.row(r) = (sums[g] / counts[g]).transpose();
  }
  try {
    pool.space = pool_space(inputs, pool, keys);
  } catch (const InvalidArgument& e) {
    throw DataError(config.string() + ": the parameters do not make a design space: " + e.what());
  }
  pool.points.resize(static_cast<Eigen::Index>(keys.size()), static_cast<Eigen::Index>(inputs.size()));
  for (std::size_t g = 0; g < keys.size(); ++g)
    for (std::size_t j = 0; j < inputs.size(); ++j)
      pool.points(static_cast<Eigen::Index>(g), static_cast<Eigen::Index>(j)) = keys[g][j];
  return pool;
}

namespace {

/// The n_initial seeded random pool rows a repeat starts from (the lab's prior measurements).
std::vector<std::size_t> initial_rows(std::size_t n, int n_initial, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::size_t> chosen;
  std::vector<char> used(n, 0);
  while (chosen.size() < static_cast<std::size_t>(n_initial)) {
    const auto i = static_cast<std::size_t>(uniform_index(rng, n));
    if (!used[i]) {
      used[i] = 1;
      chosen.push_back(i);
    }
  }
  return chosen;
}

/// One BO repeat: an in-memory campaign over the pool with the initial rows as history, then
/// propose / answer from the pool until the budget is spent. Returns the rows in evaluation order.
std::vector<std::size_t> run_one_campaign(const RetrospectivePool& pool, const RetrospectiveOptions& opt, std::uint64_t seed,
                                          const std::map<std::vector<double>, std::size_t>& row_of) {
  const auto n = static_cast<std::size_t>(pool.points.rows());
  std::vector<std::size_t> chosen = initial_rows(n, opt.n_initial, seed);
  Campaign c = Campaign::in_memory(pool.space, pool.points, seed);
  std::vector<ResultRow> history;
  for (std::size_t i : chosen) {
    ResultRow h;
    h.point = pool.points.row(static_cast<Eigen::Index>(i)).transpose();
    h.outputs = pool.Y.row(static_cast<Eigen::Index>(i)).transpose();
    history.push_back(std::move(h));
  }
  c.add_results(history, "history");
  CampaignProposeOptions po = opt.propose;
  while (chosen.size() < static_cast<std::size_t>(opt.budget)) {
    po.q = std::min<int>(opt.batch, opt.budget - static_cast<int>(chosen.size()));
    std::vector<ResultRow> results;
    for (const ProposalRecord& p : c.propose(po)) {
      const auto it = row_of.find(std::vector<double>(p.point.data(), p.point.data() + p.point.size()));
      if (it == row_of.end()) throw Error("bench campaign: internal error: a proposal is not a pool row");
      ResultRow row;
      row.proposal_id = p.id;
      row.outputs = pool.Y.row(static_cast<Eigen::Index>(it->second)).transpose();
      results.push_back(std::move(row));
      chosen.push_back(it->second);
    }
    c.add_results(results, "pool");
  }
  return chosen;
}

}  // namespace

RetrospectiveResult run_retrospective(const RetrospectivePool& pool, const RetrospectiveOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto n = static_cast<std::size_t>(pool.X.rows());
  if (opt.budget < opt.n_initial + 1 || static_cast<std::size_t>(opt.budget) > n)
    throw InvalidArgument("bench campaign: --budget must be in [" + std::to_string(opt.n_initial + 1) + ", " +
                          std::to_string(n) + "] (the pool has " + std::to_string(n) + " candidates)");
  if (opt.batch < 1 || opt.repeats < 1 || opt.n_initial < 1)
    throw InvalidArgument("bench campaign: --batch, --repeats and the initial points must be >= 1");

  RetrospectiveResult res;
  res.dataset = pool.name;
  res.options = opt;
  const std::string model_options = retrospective_model_options(opt.propose.model, opt.propose.model_options);
  res.model_options = model_options;
  res.strategy = opt.propose.strategy.empty() ? default_strategy(pool.objectives.size(), opt.batch) : opt.propose.strategy;
  try {
    (void)make_surrogate(opt.propose.model, model_options, 0);  // an unknown model or option fails before any work
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("bench campaign: ") + e.what());
  }
  res.pool_size = n;
  const Eigen::MatrixXd Yo = oriented(pool);
  const auto m = Yo.cols();
  res.multi_objective = m > 1;

  // Single objective: the top set. Multi-objective: a fixed reference point from the pool's nadir.
  std::vector<char> is_top(n, 0);
  Eigen::VectorXd ref;
  if (!res.multi_objective) {
    res.top_count = static_cast<std::size_t>(std::ceil(opt.top_fraction * static_cast<double>(n) - 1e-9));
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return Yo(static_cast<Eigen::Index>(a), 0) > Yo(static_cast<Eigen::Index>(b), 0);
    });
    for (std::size_t i = 0; i < res.top_count; ++i) is_top[order[i]] = 1;
  } else {
    const Eigen::VectorXd lo = Yo.colwise().minCoeff(), hi = Yo.colwise().maxCoeff();
    ref = lo - 0.1 * (hi - lo);
    res.pool_hypervolume = hypervolume(Yo, ref);
  }

  // The metric of a measured set after each evaluation.
  auto trace_of = [&](const std::vector<std::size_t>& order, std::size_t length) {
    std::vector<double> t;
    t.reserve(length);
    std::size_t found = 0;
    for (std::size_t i = 0; i < length; ++i) {
      if (!res.multi_objective) {
        found += is_top[order[i]];
        t.push_back(static_cast<double>(found) / static_cast<double>(res.top_count));
      } else {
        Eigen::MatrixXd S(static_cast<Eigen::Index>(i + 1), m);
        for (std::size_t j = 0; j <= i; ++j) S.row(static_cast<Eigen::Index>(j)) = Yo.row(static_cast<Eigen::Index>(order[j]));
        t.push_back(hypervolume(S, ref));
      }
    }
    return t;
  };

  // Random search: seeded permutations of the whole pool.
  const std::size_t random_len = res.multi_objective ? static_cast<std::size_t>(opt.budget) : n;
  for (int r = 0; r < opt.random_repeats; ++r) {
    Rng rng(derive_seed(derive_seed(opt.seed, 0x52414E44ULL), static_cast<std::uint64_t>(r)));
    std::vector<std::size_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[uniform_index(rng, i + 1)]);
    res.random.push_back(trace_of(perm, random_len));
  }

  // BO campaigns: the user's loop on an in-memory campaign, answered from the pool.
  std::map<std::vector<double>, std::size_t> row_of;
  for (std::size_t i = 0; i < n; ++i) {
    const Eigen::VectorXd p = pool.points.row(static_cast<Eigen::Index>(i)).transpose();
    row_of.emplace(std::vector<double>(p.data(), p.data() + p.size()), i);
  }
  Progress progress("bench campaign " + pool.name, static_cast<std::size_t>(opt.repeats));
  for (int r = 0; r < opt.repeats; ++r) {
    const std::uint64_t seed = derive_seed(opt.seed, static_cast<std::uint64_t>(r));
    std::vector<std::size_t> chosen = run_one_campaign(pool, opt, seed, row_of);
    res.bo.push_back(trace_of(chosen, static_cast<std::size_t>(opt.budget)));
    res.bo_order.push_back(std::move(chosen));
    log_info("bench campaign: repeat " + std::to_string(r + 1) + "/" + std::to_string(opt.repeats) + " done, final " +
             (res.multi_objective ? "hypervolume " : "Top% ") + format_double(res.bo.back().back()) + " after " +
             format_double(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + " s");
    progress.update(static_cast<std::size_t>(r + 1));
  }
  progress.finish();

  // Summaries.
  const auto B = static_cast<std::size_t>(opt.budget);
  res.bo_mean.assign(B, 0.0);
  res.bo_std.assign(B, 0.0);
  res.random_mean.assign(random_len, 0.0);
  for (std::size_t i = 0; i < B; ++i) {
    double s = 0, s2 = 0;
    for (const auto& t : res.bo) {
      s += t[i];
      s2 += t[i] * t[i];
    }
    const double R = static_cast<double>(res.bo.size());
    res.bo_mean[i] = s / R;
    res.bo_std[i] = R > 1 ? std::sqrt(std::max(0.0, (s2 - s * s / R) / (R - 1))) : 0.0;
  }
  for (std::size_t i = 0; i < random_len; ++i) {
    double s = 0;
    for (const auto& t : res.random) s += t[i];
    res.random_mean[i] = s / static_cast<double>(res.random.size());
  }
  if (!res.multi_objective) {
    res.ef.resize(B);
    for (std::size_t i = 0; i < B; ++i) res.ef[i] = res.random_mean[i] > 0 ? res.bo_mean[i] / res.random_mean[i] : std::nan("");
    for (double level : res.af_levels) {
      std::vector<double> nb, nr;
      // Repeats that never reach the level within the budget count as "later than the budget", which
      // a median handles correctly as long as fewer than half of them are censored.
      for (const auto& t : res.bo) {
        const double v = first_reach(t, level);
        nb.push_back(std::isnan(v) ? std::numeric_limits<double>::infinity() : v);
      }
      for (const auto& t : res.random) nr.push_back(first_reach(t, level));
      const double mb = median(nb), mr = median(nr);
      res.bo_median_evals.push_back(std::isfinite(mb) ? mb : std::nan(""));
      res.random_median_evals.push_back(mr);
      res.af.push_back(std::isfinite(mb) ? mr / mb : std::nan(""));
    }
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

namespace {
nlohmann::json jnum(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
nlohmann::json jvec(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(jnum(x));
  return a;
}
}  // namespace

std::string RetrospectiveResult::to_json() const {
  nlohmann::json j;
  j["dataset"] = dataset;
  j["protocol"] = "Liang et al. 2021: pool of unique inputs (objectives averaged), n_initial random, top fraction of the pool";
  j["options"] = {{"budget", options.budget},          {"batch", options.batch},
                  {"repeats", options.repeats},        {"random_repeats", options.random_repeats},
                  {"n_initial", options.n_initial},    {"top_fraction", options.top_fraction},
                  {"strategy", strategy},              {"ucb_beta", options.propose.ucb_beta},
                  {"model", options.propose.model},    {"min_measurements", options.propose.min_measurements},
                  {"model_options", options.propose.model_options}, {"seed", options.seed}};
  j["model_options_used"] = model_options;  // the user's plus the few-point priors
  j["pool_size"] = pool_size;
  j["multi_objective"] = multi_objective;
  j["metric"] = multi_objective ? "hypervolume of the measured set" : "fraction of the top set found (Top%)";
  if (!multi_objective) j["top_count"] = top_count;
  else j["pool_hypervolume"] = pool_hypervolume;
  nlohmann::json b = nlohmann::json::array(), r = nlohmann::json::array();
  for (const auto& t : bo) b.push_back(jvec(t));
  for (const auto& t : random) r.push_back(jvec(t));
  j["bo"] = b;
  j["random"] = r;
  // What each repeat evaluated (0-based rows of the pool of unique inputs, in evaluation order) and
  // the seed of its campaign: enough to replay a repeat through `matopt init --seed` / `propose`.
  nlohmann::json order = nlohmann::json::array();
  for (const auto& o : bo_order) order.push_back(o);
  j["bo_pool_rows"] = order;
  nlohmann::json seeds = nlohmann::json::array();
  for (std::size_t i = 0; i < bo_order.size(); ++i) seeds.push_back(derive_seed(options.seed, static_cast<std::uint64_t>(i)));
  j["campaign_seeds"] = seeds;
  j["bo_mean"] = jvec(bo_mean);
  j["bo_std"] = jvec(bo_std);
  j["random_mean"] = jvec(random_mean);
  if (!multi_objective) {
    j["ef"] = jvec(ef);
    nlohmann::json af_j = nlohmann::json::array();
    for (std::size_t i = 0; i < af.size(); ++i)
      af_j.push_back({{"top_fraction_found", af_levels[i]},
                      {"bo_median_evaluations", jnum(bo_median_evals[i])},
                      {"random_median_evaluations", jnum(random_median_evals[i])},
                      {"af", jnum(af[i])}});
    j["af"] = af_j;
    if (ef.size() >= 50) j["ef_at_50"] = jnum(ef[49]);
  }
  j["seconds"] = seconds;
  return j.dump(1);
}

std::string RetrospectiveResult::summary() const {
  std::ostringstream o;
  char buf[256];
  o << "dataset " << dataset << ": " << pool_size << " candidates";
  if (!multi_objective) o << ", top " << top_count;
  o << "; strategy " << strategy << ", batch " << options.batch << ", budget " << options.budget << ", "
    << options.repeats << " repeats (random search: " << options.random_repeats << ")\n";
  if (!multi_objective) {
    o << "  evals   Top% BO (mean ± sd)   Top% random   EF\n";
    for (int i : {5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500}) {
      if (i > options.budget) break;
      const auto k = static_cast<std::size_t>(i - 1);
      std::snprintf(buf, sizeof(buf), "  %5d   %6.3f ± %-6.3f        %6.3f     %5.2f\n", i, bo_mean[k], bo_std[k],
                    random_mean[k], ef[k]);
      o << buf;
    }
    for (std::size_t i = 0; i < af.size(); ++i) {
      std::snprintf(buf, sizeof(buf), "  AF at %3.0f%% of the top set: random %g / BO %s evaluations (medians) = %s\n",
                    af_levels[i] * 100, random_median_evals[i],
                    std::isfinite(bo_median_evals[i]) ? format_double(bo_median_evals[i]).c_str() : "> budget",
                    std::isfinite(af[i]) ? format_double(std::round(af[i] * 100) / 100).c_str() : "n/a");
      o << buf;
    }
    if (ef.size() >= 50) {
      std::snprintf(buf, sizeof(buf), "  EF at iteration 50: %.2f\n", ef[49]);
      o << buf;
    }
  } else {
    o << "  evals   HV BO (mean ± sd)      HV random   (pool HV " << format_double(pool_hypervolume) << ")\n";
    for (int i : {5, 10, 20, 30, 50, 75, 100, 150, 200}) {
      if (i > options.budget) break;
      const auto k = static_cast<std::size_t>(i - 1);
      std::snprintf(buf, sizeof(buf), "  %5d   %8.4g ± %-8.3g   %8.4g\n", i, bo_mean[k], bo_std[k], random_mean[k]);
      o << buf;
    }
  }
  std::snprintf(buf, sizeof(buf), "  time %.1f s\n", seconds);
  o << buf;
  return o.str();
}

}  // namespace matopt
