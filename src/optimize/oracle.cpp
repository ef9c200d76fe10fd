// SPDX-License-Identifier: MIT
// Oracle evaluation: CSV in, CSV out (docs/oracles.md), batches, cache, and errors that name the
// oracle, the candidate and the column.
#include "matopt/optimize/oracle.hpp"

#include <cmath>
#include <cstring>

#include "matopt/core/csv.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/subprocess.hpp"

namespace matopt {

namespace {

std::string point_key(const Eigen::VectorXd& p) {
  std::string k(static_cast<std::size_t>(p.size()) * sizeof(double), '\0');
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    double v = p[i];
    if (v == 0.0) v = 0.0;  // -0 and +0 are the same point
    std::memcpy(k.data() + static_cast<std::size_t>(i) * sizeof(double), &v, sizeof(double));
  }
  return k;
}

[[noreturn]] void fail_row(const OracleSpec& o, std::size_t row, const std::vector<std::string>& labels,
                           const std::string& column, const std::string& message) {
  std::string where = "oracle '" + o.name + "': output row " + std::to_string(row);
  if (row >= 1 && row <= labels.size()) where += " (candidate '" + labels[row - 1] + "')";
  if (!column.empty()) where += ", column '" + column + "'";
  throw OracleError(where + ": " + message);
}

std::string trim(std::string_view s) { return std::string(trim_blanks(s)); }

/// Runs one batch; returns its values (rows = the batch's points).
Eigen::MatrixXd run_batch(const DesignSpace& space, const OracleSpec& o, const Eigen::MatrixXd& pts,
                          const std::vector<std::string>& labels) {
  SubprocessOptions so;
  so.working_dir = o.working_dir;
  so.timeout_s = o.timeout_s;
  so.stdin_text = oracle_input_csv(space, pts);
  const SubprocessResult r = run_subprocess(o.command, so);
  if (!r.ok()) {
    std::string cmd;
    for (const auto& a : o.command) cmd += (cmd.empty() ? "" : " ") + a;
    std::string msg = "oracle '" + o.name + "' (" + cmd + ") " + r.describe(o.timeout_s) + " on a batch of " +
                      std::to_string(pts.rows()) + " candidate" + (pts.rows() == 1 ? "" : "s") + " (row 1: '" +
                      labels.front() + "')";
    if (!r.started && !o.working_dir.empty()) msg += "; working directory " + o.working_dir.string();
    const std::string err = last_lines(r.stderr_text, 5);
    if (!err.empty()) msg += "; last lines of its stderr:\n" + err;
    throw OracleError(msg);
  }
  return parse_oracle_output(o, r.stdout_text, labels);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Cache

const Eigen::VectorXd* OracleCache::find(const std::string& oracle, const Eigen::VectorXd& point) const {
  auto it = by_oracle_.find(oracle);
  if (it == by_oracle_.end()) return nullptr;
  auto j = it->second.index.find(point_key(point));
  return j == it->second.index.end() ? nullptr : &it->second.values[j->second];
}

void OracleCache::insert(const std::string& oracle, const Eigen::VectorXd& point, const Eigen::VectorXd& values) {
  Entries& e = by_oracle_[oracle];
  auto [it, fresh] = e.index.emplace(point_key(point), e.points.size());
  if (!fresh) {
    e.values[it->second] = values;
    return;
  }
  e.points.push_back(point);
  e.values.push_back(values);
}

void OracleCache::table(const std::string& oracle, Eigen::MatrixXd& points, Eigen::MatrixXd& values) const {
  auto it = by_oracle_.find(oracle);
  if (it == by_oracle_.end() || it->second.points.empty()) {
    points.resize(0, 0);
    values.resize(0, 0);
    return;
  }
  const auto& e = it->second;
  const auto n = static_cast<Eigen::Index>(e.points.size());
  points.resize(n, e.points.front().size());
  values.resize(n, e.values.front().size());
  for (Eigen::Index r = 0; r < n; ++r) {
    points.row(r) = e.points[static_cast<std::size_t>(r)].transpose();
    values.row(r) = e.values[static_cast<std::size_t>(r)].transpose();
  }
}

void OracleCache::set_table(const std::string& oracle, const Eigen::MatrixXd& points, const Eigen::MatrixXd& values) {
  if (points.rows() != values.rows())
    throw InvalidArgument("OracleCache::set_table: " + std::to_string(points.rows()) + " points but " +
                          std::to_string(values.rows()) + " value rows");
  by_oracle_.erase(oracle);
  for (Eigen::Index r = 0; r < points.rows(); ++r) insert(oracle, points.row(r).transpose(), values.row(r).transpose());
}

std::vector<std::string> OracleCache::oracle_names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : by_oracle_) out.push_back(name);
  return out;
}

std::size_t OracleCache::size(const std::string& oracle) const {
  auto it = by_oracle_.find(oracle);
  return it == by_oracle_.end() ? 0 : it->second.points.size();
}

// ---------------------------------------------------------------------------------------------------
// Protocol

std::string oracle_candidate_label(const DesignSpace& space, const Eigen::VectorXd& point) {
  if (space.has_composition()) return space.formula_of(point, 10);
  std::string s = "(";
  const auto names = space.coordinate_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    s += (i ? ", " : "") + names[i] + "=" + space.coordinate_text(static_cast<int>(i), point[static_cast<Eigen::Index>(i)]);
  return s + ")";
}

std::string oracle_input_csv(const DesignSpace& space, const Eigen::MatrixXd& points) {
  std::string out = "row,formula";
  for (const auto& n : space.coordinate_names()) out += "," + csv_escape(n);
  out += "\n";
  for (Eigen::Index r = 0; r < points.rows(); ++r) {
    const Eigen::VectorXd p = points.row(r).transpose();
    out += std::to_string(r + 1) + "," + csv_escape(space.has_composition() ? space.formula_of(p, 10) : std::string());
    for (int i = 0; i < space.dimension(); ++i) out += "," + csv_escape(space.coordinate_text(i, p[i]));
    out += "\n";
  }
  return out;
}

Eigen::MatrixXd parse_oracle_output(const OracleSpec& o, const std::string& text, const std::vector<std::string>& labels) {
  const std::size_t n = labels.size();
  std::string names;
  for (const auto& x : o.outputs) names += (names.empty() ? "" : ",") + x;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw OracleError("oracle '" + o.name + "': wrote no output (expected a CSV header naming its outputs: " + names + ")");
  CsvTable t;
  try {
    t = parse_csv(text, "oracle '" + o.name + "' output");
  } catch (const Error& e) {
    throw OracleError("oracle '" + o.name + "': its output is not CSV: " + e.what());
  }
  int row_col = -1;
  std::vector<int> col(o.outputs.size(), -1);
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    const std::string h = trim(t.header[c]);
    if (h == "row") row_col = static_cast<int>(c);
    for (std::size_t k = 0; k < o.outputs.size(); ++k)
      if (h == o.outputs[k]) col[k] = static_cast<int>(c);
  }
  for (std::size_t k = 0; k < o.outputs.size(); ++k)
    if (col[k] < 0) throw OracleError("oracle '" + o.name + "': output header has no column '" + o.outputs[k] + "' (header: " + text.substr(0, text.find('\n')) + ")");
  if (t.rows.size() != n)
    throw OracleError("oracle '" + o.name + "': expected " + std::to_string(n) + " output rows (one per candidate, in order), got " +
                      std::to_string(t.rows.size()) + (t.rows.size() < n && t.rows.size() < labels.size()
                                                            ? "; first candidate without a row: row " + std::to_string(t.rows.size() + 1) + " ('" + labels[t.rows.size()] + "')"
                                                            : std::string()));
  Eigen::MatrixXd v(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(o.outputs.size()));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& cells = t.rows[i];
    auto cell = [&](int c) { return static_cast<std::size_t>(c) < cells.size() ? trim(cells[static_cast<std::size_t>(c)]) : std::string(); };
    if (row_col >= 0 && cell(row_col) != std::to_string(i + 1))
      fail_row(o, i + 1, labels, "row", "'" + cell(row_col) + "' does not match the input row " + std::to_string(i + 1) + " (rows must come back in order)");
    for (std::size_t k = 0; k < o.outputs.size(); ++k) {
      const std::string s = cell(col[k]);
      double x = 0;
      if (s == "nan" || s == "NaN" || s == "NAN") x = std::nan("");
      else if (!parse_double(s, x)) fail_row(o, i + 1, labels, o.outputs[k], "'" + s + "' is not a number");
      else if (!std::isfinite(x)) fail_row(o, i + 1, labels, o.outputs[k], "'" + s + "' is not finite (write nan for no value)");
      v(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = x;
    }
  }
  return v;
}

int oracle_value_column(const DesignSpace& space, OracleColumn c) {
  int col = 0;
  for (int i = 0; i < c.oracle; ++i) col += static_cast<int>(space.oracles()[static_cast<std::size_t>(i)].outputs.size());
  return col + c.column;
}

int oracle_value_count(const DesignSpace& space) {
  int width = 0;
  for (const auto& o : space.oracles()) width += static_cast<int>(o.outputs.size());
  return width;
}

Eigen::MatrixXd evaluate_oracles(const DesignSpace& space, const Eigen::MatrixXd& points, OracleCache& cache, OracleRunStats* stats) {
  Eigen::MatrixXd out(points.rows(), oracle_value_count(space));
  OracleRunStats st;
  int col0 = 0;
  for (const auto& o : space.oracles()) {
    const auto k = static_cast<Eigen::Index>(o.outputs.size());
    std::vector<Eigen::Index> missing;
    std::map<std::string, bool> queued;  // a point listed twice is sent once
    for (Eigen::Index r = 0; r < points.rows(); ++r) {
      const Eigen::VectorXd p = points.row(r).transpose();
      if (cache.find(o.name, p) != nullptr) { ++st.cached; continue; }
      if (queued.emplace(point_key(p), true).second) missing.push_back(r);
    }
    for (std::size_t b = 0; b < missing.size(); b += static_cast<std::size_t>(o.batch)) {
      const std::size_t e = std::min(missing.size(), b + static_cast<std::size_t>(o.batch));
      Eigen::MatrixXd pts(static_cast<Eigen::Index>(e - b), points.cols());
      std::vector<std::string> labels;
      for (std::size_t i = b; i < e; ++i) {
        pts.row(static_cast<Eigen::Index>(i - b)) = points.row(missing[i]);
        labels.push_back(oracle_candidate_label(space, points.row(missing[i]).transpose()));
      }
      const Eigen::MatrixXd vals = run_batch(space, o, pts, labels);
      for (Eigen::Index i = 0; i < pts.rows(); ++i) cache.insert(o.name, pts.row(i).transpose(), vals.row(i).transpose());
      ++st.calls;
      st.computed += static_cast<std::size_t>(pts.rows());
    }
    if (!missing.empty())
      log_info("oracle '" + o.name + "': computed " + std::to_string(missing.size()) + " candidates, " +
               std::to_string(points.rows() - static_cast<Eigen::Index>(missing.size())) + " from the cache");
    for (Eigen::Index r = 0; r < points.rows(); ++r)
      out.row(r).segment(col0, k) = cache.find(o.name, points.row(r).transpose())->transpose();
    col0 += static_cast<int>(k);
  }
  if (stats) *stats = st;
  return out;
}

}  // namespace matopt
