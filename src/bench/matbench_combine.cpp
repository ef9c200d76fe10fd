// SPDX-License-Identifier: MIT
// Row-by-row combination of the test predictions of several finished Matbench runs (models that were
// run separately, e.g. with different feature sets), scored like any run.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "matopt/bench/matbench.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "core/median.hpp"
#include "matbench_internal.hpp"

namespace matopt {
namespace {

const MatbenchFoldResult* find_fold(const MatbenchRun& run, std::size_t fold) {
  for (const auto& f : run.folds)
    if (f.fold == fold) return &f;
  return nullptr;
}

}  // namespace

MatbenchRun combine_matbench_runs(const std::vector<MatbenchRun>& runs, const std::vector<std::string>& names,
                                  const std::string& rule) {
  if (rule != "median" && rule != "mean")
    throw InvalidArgument("combining results: rule '" + rule + "' is not one of median, mean");
  if (runs.size() < 2) throw InvalidArgument("combining results needs at least two runs (got " + std::to_string(runs.size()) + ")");
  if (names.size() != runs.size())
    throw InvalidArgument("combining results: " + std::to_string(names.size()) + " names for " + std::to_string(runs.size()) + " runs");
  const MatbenchRun& first = runs.front();
  for (std::size_t r = 1; r < runs.size(); ++r) {
    const MatbenchRun& o = runs[r];
    if (o.task != first.task || o.target != first.target || o.type != first.type || o.n_rows != first.n_rows ||
        o.n_folds != first.n_folds)
      throw InvalidArgument("combining results: " + names[r] + " is task '" + o.task + "' (target '" + o.target + "', " +
                            std::to_string(o.n_rows) + " rows, " + std::to_string(o.n_folds) + " folds), but " + names[0] +
                            " is task '" + first.task + "' (target '" + first.target + "', " + std::to_string(first.n_rows) +
                            " rows, " + std::to_string(first.n_folds) + " folds)");
  }

  MatbenchRun out = first;  // task, target, type, sizes and duplicate report are common to all runs
  out.folds.clear();
  nlohmann::json sig = {{"combine", rule}, {"members", nlohmann::json::array()}};
  for (std::size_t r = 0; r < runs.size(); ++r)
    sig["members"].push_back({{"file", names[r]},
                              {"signature", nlohmann::json::parse(runs[r].signature.empty() ? "{}" : runs[r].signature,
                                                                  nullptr, /*allow_exceptions=*/false)}});
  out.signature = sig.dump();

  std::set<std::size_t> all_folds;
  for (const auto& run : runs)
    for (const auto& f : run.folds) all_folds.insert(f.fold);
  for (const std::size_t k : all_folds) {
    std::vector<const MatbenchFoldResult*> members;
    std::string missing;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const MatbenchFoldResult* f = find_fold(runs[r], k);
      if (f == nullptr) missing += (missing.empty() ? "" : ", ") + names[r];
      members.push_back(f);
    }
    if (!missing.empty()) {
      log_warn("fold " + std::to_string(k) + " is not finished in " + missing + ": left out of the combination");
      continue;
    }
    const MatbenchFoldResult& f0 = *members.front();
    const std::string fold_name = "combining results: fold " + std::to_string(k) + " of ";
    for (std::size_t r = 0; r < members.size(); ++r) {
      const MatbenchFoldResult& f = *members[r];
      if (f.mean.size() != f.y_true.size() || f.rows.size() != static_cast<std::size_t>(f.y_true.size()))
        throw DataError(fold_name + names[r] + " has " + std::to_string(f.mean.size()) + " predictions and " +
                        std::to_string(f.rows.size()) + " rows for " + std::to_string(f.y_true.size()) + " targets");
      if (out.type == MatbenchTaskType::Regression && f.std.size() != f.mean.size())
        throw DataError(fold_name + names[r] + " has no σ per row (a results file without \"std\"); regression runs "
                        "are combined with their σ");
      if (f.rows != f0.rows)
        throw DataError(fold_name + names[r] + " holds other test rows than in " + names[0] +
                        " (the runs must use the same folds file)");
      if (f.y_true != f0.y_true)
        throw DataError(fold_name + names[r] + " holds other targets than in " + names[0] + " (the same dataset is needed)");
    }

    MatbenchFoldResult c;
    c.fold = k;
    c.model = rule;
    c.n_train = f0.n_train;
    c.rows = f0.rows;
    c.y_true = f0.y_true;
    std::set<std::string> transforms, features;
    for (std::size_t r = 0; r < members.size(); ++r) {
      const MatbenchFoldResult& f = *members[r];
      c.pool.push_back(names[r] + ":" + f.model + (f.transform.empty() ? "" : "+" + f.transform));
      transforms.insert(f.transform);
      features.insert(f.features);
      c.seconds += f.seconds;
    }
    c.transform = transforms.size() == 1 ? *transforms.begin() : "mixed";
    for (const auto& s : features) c.features += (c.features.empty() ? "" : ",") + s;

    const Eigen::Index n = c.y_true.size();
    const auto m = static_cast<double>(members.size());
    c.mean.resize(n);
    std::vector<double> values(members.size());
    for (Eigen::Index i = 0; i < n; ++i) {
      for (std::size_t r = 0; r < members.size(); ++r) values[r] = members[r]->mean[i];
      if (rule == "median") {
        c.mean[i] = detail::median_in_place(values);
      } else {
        double s = 0.0;
        for (double v : values) s += v;
        c.mean[i] = s / m;
      }
    }
    if (out.type == MatbenchTaskType::Classification) {
      c.metrics = matbench_internal::metrics_map(score_matbench_classification(c.y_true, c.mean));
    } else {
      // One Gaussian about the combined point whose variance is the members' equal-weight mixture's
      // mean squared deviation from that point: each member's σ² plus its distance to the point. For
      // the mean rule this is the moment-matched mixture.
      c.std.resize(n);
      for (Eigen::Index i = 0; i < n; ++i) {
        double v = 0.0;
        for (const auto* f : members) {
          const double d = f->mean[i] - c.mean[i];
          v += f->std[i] * f->std[i] + d * d;
        }
        c.std[i] = std::sqrt(v / m);
      }
      c.loc = c.mean;
      c.scale = c.std;
      c.metrics = matbench_internal::metrics_map(score_matbench_regression(c.y_true, c.mean, c.std));
    }
    out.folds.push_back(std::move(c));
  }
  if (out.folds.empty())
    throw InvalidArgument("combining results: no fold is finished in every one of the runs");
  return out;
}

}  // namespace matopt
