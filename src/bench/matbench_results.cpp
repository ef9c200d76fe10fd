// SPDX-License-Identifier: MIT
// Matbench results file (JSON), fold summaries and the terminal table.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "matopt/bench/matbench.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kFormat = "matopt-matbench-results";
constexpr int kVersion = 1;

// JSON has no NaN/Inf: they are written as null and read back as NaN.
Json num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }
double to_num(const Json& j) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  return j.get<double>();
}

struct MetricLabel {
  const char* key;
  const char* label;
  int precision;  // significant digits in the table
};

// Table order and spelled-out labels; Matbench's thresholded ROC-AUC is labelled as such.
const std::vector<MetricLabel>& regression_labels() {
  static const std::vector<MetricLabel> v = {
      {"mae", "MAE", 4},         {"rmse", "RMSE", 4},        {"r2", "R2", 4},
      {"nll", "NLL", 4},         {"miscalibration_area", "miscal.area", 3},
      {"coverage68", "cov68", 3}, {"coverage95", "cov95", 3}, {"conformal_coverage", "conformal.cov", 3}};
  return v;
}
const std::vector<MetricLabel>& classification_labels() {
  static const std::vector<MetricLabel> v = {{"rocauc_matbench", "ROC-AUC(Matbench,thresholded)", 4},
                                             {"rocauc", "ROC-AUC(prob)", 4},
                                             {"accuracy", "accuracy", 4},
                                             {"balanced_accuracy", "bal.accuracy", 4},
                                             {"log_loss", "log-loss", 4}};
  return v;
}

std::string fmt(double v, int precision) {
  if (!std::isfinite(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

}  // namespace

void write_matbench_results(const MatbenchRun& run, const std::filesystem::path& path) {
  Json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["task"] = run.task;
  j["target"] = run.target;
  j["task_type"] = to_string(run.type);
  j["n_rows"] = run.n_rows;
  j["n_folds"] = run.n_folds;
  j["signature"] = run.signature.empty() ? Json::object() : Json::parse(run.signature);
  Json dup;
  dup["groups"] = run.duplicates.groups;
  dup["rows"] = run.duplicates.rows;
  dup["conflicting_groups"] = run.duplicates.conflicting_groups;
  dup["conflicting_rows"] = run.duplicates.conflicting_rows;
  dup["examples"] = run.duplicates.examples;
  j["duplicates"] = dup;
  Json summary = Json::object();
  for (const auto& [name, s] : summarize_matbench(run)) summary[name] = Json{{"mean", num(s.mean)}, {"std", num(s.std)}};
  j["summary"] = summary;
  Json folds = Json::array();
  for (const auto& f : run.folds) {
    Json jf;
    jf["fold"] = f.fold;
    if (!f.label.empty()) jf["label"] = f.label;
    jf["model"] = f.model;
    jf["transform"] = f.transform;
    jf["features"] = f.features;
    if (!f.pool.empty()) jf["pool"] = f.pool;
    if (!f.gate.empty()) jf["gate"] = f.gate;
    jf["n_train"] = f.n_train;
    jf["n_test"] = f.rows.size();
    jf["seconds"] = num(f.seconds);
    Json m = Json::object();
    for (const auto& [k, v] : f.metrics) m[k] = num(v);
    jf["metrics"] = m;
    Json inner = Json::object();
    for (const auto& [k, v] : f.inner_cv) inner[k] = num(v);
    jf["inner_cv"] = inner;
    jf["calibration"] = Json{{"a", num(f.calibration_a)}, {"b", num(f.calibration_b)}};
    const bool has_dist = f.loc.size() == f.mean.size() && f.scale.size() == f.mean.size() && f.mean.size() > 0;
    const bool has_gate = has_dist && f.p_positive.size() == f.mean.size();
    if (has_dist) jf["log_space"] = f.log_space;
    // Platt (1, 0) is not "no scaling", so the key is there only when scaling was applied.
    if (has_gate && (f.gate_calibration_a != 1.0 || f.gate_calibration_b != 0.0))
      jf["gate_calibration"] = Json{{"a", num(f.gate_calibration_a)}, {"b", num(f.gate_calibration_b)}};
    if (run.type == MatbenchTaskType::Classification && f.threshold != 0.5) jf["threshold"] = num(f.threshold);
    if (!std::isnan(f.conformal_q))
      jf["conformal"] = Json{{"q", num(f.conformal_q)}, {"coverage", num(f.conformal_coverage)}};
    if (f.quantile_calibration.fitted()) {
      Json knots = Json::array();
      for (double k : f.quantile_calibration.knots) knots.push_back(num(k));
      jf["quantile_calibration"] = knots;
    }
    // Keyed by the 0-based dataset row index so that a run can be re-scored without the models.
    Json pred = Json::object();
    const bool has_std = f.std.size() == f.mean.size();
    for (std::size_t r = 0; r < f.rows.size(); ++r) {
      const auto i = static_cast<Eigen::Index>(r);
      Json p;
      p["true"] = num(f.y_true[i]);
      if (run.type == MatbenchTaskType::Regression) {
        p["mean"] = num(f.mean[i]);
        if (has_std) p["std"] = num(f.std[i]);
        if (has_dist) {
          p["loc"] = num(f.loc[i]);
          p["scale"] = num(f.scale[i]);
        }
        if (has_gate) p["p_positive"] = num(f.p_positive[i]);
      } else {
        p["probability"] = num(f.mean[i]);
      }
      pred[std::to_string(f.rows[r])] = std::move(p);
    }
    jf["predictions"] = std::move(pred);
    folds.push_back(std::move(jf));
  }
  j["folds"] = std::move(folds);

  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) throw IOError(path.string() + ": cannot write the results file");
    out << j.dump(1) << '\n';
    out.flush();
    if (!out) throw IOError(path.string() + ": error writing the results file");
  }
  file.commit();
}

MatbenchRun read_matbench_results(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path.string() + ": cannot open the results file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string name = path.string();
  Json j;
  try {
    j = Json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw DataError(name + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || j.value("format", std::string()) != kFormat)
    throw DataError(name + ": not a matopt Matbench results file (expected \"format\": \"" + kFormat + "\")");
  if (j.value("version", 0) > kVersion)
    throw DataError(name + ": results file version " + std::to_string(j.value("version", 0)) +
                    " is newer than this matopt reads (" + std::to_string(kVersion) + ")");
  MatbenchRun run;
  try {
    run.task = j.at("task").get<std::string>();
    run.target = j.at("target").get<std::string>();
    const std::string type = j.at("task_type").get<std::string>();
    if (type == "regression") run.type = MatbenchTaskType::Regression;
    else if (type == "classification") run.type = MatbenchTaskType::Classification;
    else throw DataError(name + ": task_type must be \"regression\" or \"classification\" (got \"" + type + "\")");
    run.n_rows = j.at("n_rows").get<std::size_t>();
    run.n_folds = j.at("n_folds").get<std::size_t>();
    run.signature = j.at("signature").dump();
    const Json& dup = j.at("duplicates");
    run.duplicates.groups = dup.at("groups").get<std::size_t>();
    run.duplicates.rows = dup.at("rows").get<std::size_t>();
    run.duplicates.conflicting_groups = dup.at("conflicting_groups").get<std::size_t>();
    run.duplicates.conflicting_rows = dup.at("conflicting_rows").get<std::size_t>();
    run.duplicates.examples = dup.at("examples").get<std::vector<std::string>>();
    for (const Json& jf : j.at("folds")) {
      MatbenchFoldResult f;
      f.fold = jf.at("fold").get<std::size_t>();
      f.label = jf.value("label", std::string());
      f.model = jf.at("model").get<std::string>();
      f.transform = jf.at("transform").get<std::string>();
      f.features = jf.value("features", std::string());
      if (jf.contains("pool")) f.pool = jf.at("pool").get<std::vector<std::string>>();
      f.gate = jf.value("gate", std::string());
      f.n_train = jf.at("n_train").get<std::size_t>();
      f.seconds = to_num(jf.at("seconds"));
      for (const auto& [k, v] : jf.at("metrics").items()) f.metrics[k] = to_num(v);
      for (const auto& [k, v] : jf.at("inner_cv").items()) f.inner_cv[k] = to_num(v);
      f.calibration_a = to_num(jf.at("calibration").at("a"));
      f.calibration_b = to_num(jf.at("calibration").at("b"));
      if (jf.contains("threshold")) f.threshold = to_num(jf.at("threshold"));
      if (jf.contains("conformal")) {
        f.conformal_q = to_num(jf.at("conformal").at("q"));
        f.conformal_coverage = to_num(jf.at("conformal").at("coverage"));
      }
      const Json& pred = jf.at("predictions");
      const auto n = static_cast<Eigen::Index>(pred.size());
      f.y_true.resize(n);
      f.mean.resize(n);
      bool has_std = run.type == MatbenchTaskType::Regression;
      for (const auto& [k, p] : pred.items()) has_std = has_std && p.contains("std");
      if (has_std) f.std.resize(n);
      // Distribution fields: written since matopt 0.3, all or none per fold.
      bool has_dist = has_std && n > 0, has_gate = has_dist;
      for (const auto& [k, p] : pred.items()) {
        has_dist = has_dist && p.contains("loc") && p.contains("scale");
        has_gate = has_gate && p.contains("p_positive");
      }
      has_gate = has_gate && has_dist;
      if (has_dist) {
        f.loc.resize(n);
        f.scale.resize(n);
        f.log_space = jf.at("log_space").get<bool>();
      }
      if (jf.contains("quantile_calibration")) {
        std::vector<double> knots;
        for (const Json& k : jf.at("quantile_calibration")) knots.push_back(to_num(k));
        try {
          f.quantile_calibration = PitCalibration::from_knots(std::move(knots));
        } catch (const InvalidArgument& e) {
          throw DataError(name + ": fold " + std::to_string(f.fold) + ": " + e.what());
        }
      }
      if (has_gate) {
        f.p_positive.resize(n);
        if (jf.contains("gate_calibration")) {
          f.gate_calibration_a = to_num(jf.at("gate_calibration").at("a"));
          f.gate_calibration_b = to_num(jf.at("gate_calibration").at("b"));
        }
      }
      Eigen::Index r = 0;
      for (const auto& [k, p] : pred.items()) {
        std::size_t pos = 0;
        unsigned long long row = 0;
        try {
          row = std::stoull(k, &pos);
        } catch (const std::exception&) {
          pos = 0;
        }
        if (pos != k.size() || k.empty())
          throw DataError(name + ": fold " + std::to_string(f.fold) + ": prediction key '" + k +
                          "' is not a row index");
        f.rows.push_back(static_cast<std::size_t>(row));
        f.y_true[r] = to_num(p.at("true"));
        f.mean[r] = to_num(run.type == MatbenchTaskType::Regression ? p.at("mean") : p.at("probability"));
        if (has_std) f.std[r] = to_num(p.at("std"));
        if (has_dist) {
          f.loc[r] = to_num(p.at("loc"));
          f.scale[r] = to_num(p.at("scale"));
        }
        if (has_gate) f.p_positive[r] = to_num(p.at("p_positive"));
        ++r;
      }
      run.folds.push_back(std::move(f));
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(name + ": malformed results file (" + e.what() + ")");
  }
  return run;
}

std::map<std::string, MetricSummary> summarize_matbench(const MatbenchRun& run) {
  std::map<std::string, std::vector<double>> values;
  for (const auto& f : run.folds) {
    for (const auto& [k, v] : f.metrics) values[k].push_back(v);
    values["seconds"].push_back(f.seconds);
  }
  std::map<std::string, MetricSummary> out;
  for (const auto& [k, v] : values) {
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    out[k] = {mean, std::sqrt(ss / static_cast<double>(v.size()))};  // ddof = 0, as numpy/Matbench
  }
  return out;
}

std::string format_matbench_table(const MatbenchRun& run) {
  const auto& labels =
      run.type == MatbenchTaskType::Regression ? regression_labels() : classification_labels();
  std::ostringstream os;
  os << run.task << " (" << to_string(run.type) << ", target '" << run.target << "', " << run.n_rows << " rows, "
     << run.folds.size() << "/" << run.n_folds << " folds)\n";
  if (run.duplicates.groups > 0)
    os << "duplicate compositions: " << run.duplicates.groups << " groups (" << run.duplicates.rows << " rows), "
       << run.duplicates.conflicting_groups << " with conflicting targets (" << run.duplicates.conflicting_rows
       << " rows); kept, as Matbench does\n";
  char buf[128];
  std::snprintf(buf, sizeof buf, "%-5s %-9s %-6s %8s %7s", "fold", "model", "transf", "n_train", "n_test");
  os << buf;
  // Columns at least 9 wide so that values line up under short labels.
  auto width = [](const MetricLabel& l) { return std::max<int>(9, static_cast<int>(std::string(l.label).size())); };
  for (const auto& l : labels) {
    std::snprintf(buf, sizeof buf, "  %*s", width(l), l.label);
    os << buf;
  }
  os << "  time[s]\n";
  for (const auto& f : run.folds) {
    std::snprintf(buf, sizeof buf, "%-5zu %-9s %-6s %8zu %7zu", f.fold, f.model.c_str(),
                  f.transform.empty() ? "-" : f.transform.c_str(), f.n_train, f.rows.size());
    os << buf;
    for (const auto& l : labels) {
      auto it = f.metrics.find(l.key);
      const std::string v = it == f.metrics.end() ? "-" : fmt(it->second, l.precision);
      std::snprintf(buf, sizeof buf, "  %*s", width(l), v.c_str());
      os << buf;
    }
    std::snprintf(buf, sizeof buf, "  %7.1f\n", f.seconds);
    os << buf;
  }
  // What inner CV chose, when there was a choice.
  for (const auto& f : run.folds) {
    if (f.inner_cv.empty() && !f.pool.empty()) {  // a combination of separate runs
      os << "fold " << f.fold << ": the " << f.model << " of";
      for (std::size_t i = 0; i < f.pool.size(); ++i) os << (i ? ", " : " ") << f.pool[i];
      os << "\n";
      continue;
    }
    if (f.inner_cv.size() < 2) continue;
    os << "fold " << f.fold << " chose ";
    if (f.pool.empty()) {
      os << f.model << (f.transform.empty() ? "" : "+" + f.transform) << (f.gate == "pool" ? "(pooled gate)" : "")
         << " [" << f.features << "]";
    } else {
      os << "the pool of";
      for (std::size_t i = 0; i < f.pool.size(); ++i) os << (i ? ", " : " ") << f.pool[i];
    }
    os << "; inner-CV scores:";
    for (const auto& [k, v] : f.inner_cv) os << " " << k << " = " << fmt(v, 4) << ";";
    os << "\n";
  }
  if (!run.folds.empty()) {
    const auto summary = summarize_matbench(run);
    os << "mean ± std over " << run.folds.size() << " fold(s) (std with ddof = 0, as Matbench):\n";
    for (const auto& l : labels) {
      auto it = summary.find(l.key);
      if (it == summary.end()) continue;
      std::snprintf(buf, sizeof buf, "  %-30s %s ± %s\n", l.label, fmt(it->second.mean, l.precision + 1).c_str(),
                    fmt(it->second.std, 3).c_str());
      os << buf;
    }
    auto it = summary.find("seconds");
    if (it != summary.end()) {
      std::snprintf(buf, sizeof buf, "  %-30s %.1f ± %.1f\n", "time per fold [s]", it->second.mean, it->second.std);
      os << buf;
    }
  }
  if (run.type == MatbenchTaskType::Classification)
    os << "note: ROC-AUC(Matbench,thresholded) is AUC on labels thresholded at 0.5 (= balanced accuracy), as "
          "the Matbench leaderboard computes it; ROC-AUC(prob) is the proper AUC from probabilities.\n";
  return os.str();
}

}  // namespace matopt
