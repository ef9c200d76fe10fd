// SPDX-License-Identifier: MIT
#include "matopt/bench/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/models/domain.hpp"
#include "matopt/models/metrics.hpp"

namespace matopt {

namespace {

void add_spearman(MatbenchRun& run) {
  if (run.type != MatbenchTaskType::Regression) return;
  for (auto& f : run.folds) {
    const bool varies = f.y_true.size() > 1 && f.y_true.maxCoeff() > f.y_true.minCoeff() && f.mean.maxCoeff() > f.mean.minCoeff();
    f.metrics["spearman"] = varies ? spearman(f.y_true, f.mean) : std::numeric_limits<double>::quiet_NaN();
  }
}

double summary_mean(const std::map<std::string, MetricSummary>& summary, const std::string& key) {
  const auto it = summary.find(key);
  return it == summary.end() ? std::numeric_limits<double>::quiet_NaN() : it->second.mean;
}

double mean_metric(const MatbenchRun& run, const std::string& key) { return summary_mean(summarize_matbench(run), key); }

std::string cell(double v, int precision) {
  if (!std::isfinite(v)) return "nan";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::vector<std::string> table_metrics(MatbenchTaskType type) {
  if (type == MatbenchTaskType::Regression)
    return {"mae", "rmse", "r2", "spearman", "nll", "coverage68", "coverage95", "miscalibration_area"};
  return {"rocauc", "accuracy", "balanced_accuracy", "log_loss"};
}

std::string header_name(const std::string& key) {
  if (key == "miscalibration_area") return "miscal";
  if (key == "coverage68") return "cov68";
  if (key == "coverage95") return "cov95";
  if (key == "balanced_accuracy") return "bal.acc";
  return key;
}

void append_row(std::ostringstream& os, const std::string& label, const std::string& train, const std::string& test,
                const std::vector<std::string>& cells) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%-28s %7s %7s", label.substr(0, 28).c_str(), train.c_str(), test.c_str());
  os << buf;
  for (const auto& c : cells) {
    std::snprintf(buf, sizeof buf, " %9s", c.c_str());
    os << buf;
  }
  os << '\n';
}

}  // namespace

DomainSummary domain_summary(const MatbenchRun& run, const MatbenchFolds& folds, const Eigen::MatrixXd& features,
                             std::uint64_t seed) {
  DomainSummary out;
  double err_in = 0, err_out = 0;
  for (const auto& f : run.folds) {
    const std::vector<std::size_t> train = matbench_train_rows(folds, f.fold, static_cast<std::size_t>(features.rows()));
    std::vector<Eigen::Index> tr(train.begin(), train.end()), te(f.rows.begin(), f.rows.end());
    ApplicabilityDomain domain;
    DomainOptions o;
    o.seed = seed;
    domain.fit(features(tr, Eigen::all), o);
    const Eigen::VectorXd score = domain.score(features(te, Eigen::all));
    for (Eigen::Index i = 0; i < score.size(); ++i) {
      const bool inside = score[i] <= domain.threshold();
      const double err = std::abs(f.y_true[i] - f.mean[i]);
      (inside ? out.inside : out.outside) += 1;
      (inside ? err_in : err_out) += err;
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool regression = run.type == MatbenchTaskType::Regression;
  out.mae_inside = regression && out.inside ? err_in / static_cast<double>(out.inside) : nan;
  out.mae_outside = regression && out.outside ? err_out / static_cast<double>(out.outside) : nan;
  return out;
}

MatbenchFolds folds_from_splits(const std::vector<DataSplit>& splits, std::size_t n_rows, bool partition) {
  MatbenchFolds f;
  f.n = n_rows;
  f.partition = partition;
  for (const auto& s : splits) {
    f.test.push_back(s.test);
    f.train.push_back(s.train);
    f.labels.push_back(s.label);
  }
  return f;
}

EvaluationRun evaluate_splits(const Dataset& data, const std::string& target, const EvaluationOptions& options,
                              const MatbenchFoldCallback& on_fold, const MatbenchStartCallback& on_start) {
  EvaluationRun out;
  out.split = options.split;
  const std::vector<DataSplit> splits = make_splits(data, options.split, &out.skipped);
  const bool partition = options.split.kind == SplitKind::Random || options.split.kind == SplitKind::Cluster ||
                         options.split.kind == SplitKind::Group;
  const MatbenchFolds folds = folds_from_splits(splits, data.rows(), partition);
  // The column a group or time split is made on says where a row came from, not what it is: not a model input.
  Dataset model_data = data;
  std::erase_if(model_data.process, [&](const Column& c) { return !options.split.column.empty() && c.name == options.split.column; });

  std::optional<MatbenchFolds> random_folds;
  if (options.random_baseline) {
    SplitSpec r;
    r.kind = SplitKind::Random;
    r.folds = std::clamp(options.split.folds, 2, static_cast<int>(data.rows()));
    r.seed = options.split.seed;
    random_folds = folds_from_splits(make_splits(data, r), data.rows(), true);
  }
  const std::size_t total = folds.test.size() + (random_folds ? random_folds->test.size() : 0);
  if (on_start) on_start(total);

  MatbenchOptions engine = options.engine;
  engine.results_path.clear();
  engine.folds.clear();
  const std::string label = engine.dataset_label;
  std::size_t done = 0;
  auto counted = [&](const MatbenchFoldResult& f, std::size_t, std::size_t) {
    if (on_fold) on_fold(f, ++done, total);
  };
  engine.dataset_label = label + " [" + options.split.text() + "]";
  out.run = run_matbench(model_data, target, folds, engine, counted);
  add_spearman(out.run);
  const Eigen::MatrixXd features = split_features(model_data);
  out.domain = domain_summary(out.run, folds, features, options.split.seed);
  out.ratio_metric = out.run.type == MatbenchTaskType::Regression ? "mae" : "log_loss";
  out.ratio = std::numeric_limits<double>::quiet_NaN();
  if (random_folds) {
    engine.dataset_label = label + " [random]";
    out.random = run_matbench(model_data, target, *random_folds, engine, counted);
    add_spearman(*out.random);
    out.random_domain = domain_summary(*out.random, *random_folds, features, options.split.seed);
    out.ratio = mean_metric(out.run, out.ratio_metric) / mean_metric(*out.random, out.ratio_metric);
  }
  return out;
}

std::string format_evaluation(const EvaluationRun& e) {
  std::ostringstream os;
  const std::vector<std::string> keys = table_metrics(e.run.type);
  std::vector<std::string> head;
  for (const auto& k : keys) head.push_back(header_name(k));
  os << e.run.task << ": target '" << e.run.target << "', " << e.run.n_rows << " rows, " << e.run.folds.size()
     << " folds\n";
  for (const auto& s : e.skipped) os << "  not held out: " << s << '\n';
  append_row(os, "fold", "train", "test", head);
  for (const auto& f : e.run.folds) {
    std::vector<std::string> cells;
    for (const auto& k : keys) {
      const auto it = f.metrics.find(k);
      cells.push_back(cell(it == f.metrics.end() ? std::nan("") : it->second, 4));
    }
    append_row(os, f.label.empty() ? "fold " + std::to_string(f.fold + 1) : f.label, std::to_string(f.n_train),
               std::to_string(f.rows.size()), cells);
  }
  auto summary_row = [&](const MatbenchRun& run, const std::string& name) {
    const auto summary = summarize_matbench(run);  // once per run, not once per metric
    std::vector<std::string> cells;
    for (const auto& k : keys) cells.push_back(cell(summary_mean(summary, k), 4));
    append_row(os, name, "", "", cells);
  };
  summary_row(e.run, "mean over folds");
  if (e.random) {
    summary_row(*e.random, "random " + std::to_string(e.random->folds.size()) + "-fold, same model");
    os << "extrapolation penalty: " << e.ratio_metric << " " << e.split.text() << " / random = " << cell(e.ratio, 3) << '\n';
  }
  auto domain_line = [&](const DomainSummary& d, const std::string& name) {
    os << "applicability domain, " << name << ": " << d.inside << " test rows inside (MAE " << cell(d.mae_inside, 4)
       << "), " << d.outside << " outside (MAE " << cell(d.mae_outside, 4) << ")\n";
  };
  domain_line(e.domain, e.split.text());
  if (e.random_domain) domain_line(*e.random_domain, "random");
  return os.str();
}

}  // namespace matopt
