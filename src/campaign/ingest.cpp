// SPDX-License-Identifier: MIT
// Results ingestion: every row is validated first and every problem reported; only a clean file
// changes the campaign, and rows already in the campaign are skipped (idempotent re-ingestion).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "campaign/internal.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/campaign/lock.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

using namespace campaign_detail;

namespace {

std::string trim(std::string_view s) { return std::string(trim_blanks(s)); }

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

/// Splits "name [unit]" or "name (unit)" into name and unit; unit "" when there is none.
std::pair<std::string, std::string> split_unit(const std::string& header) {
  const std::string h = trim(header);
  if (!h.empty() && (h.back() == ']' || h.back() == ')')) {
    const char open = h.back() == ']' ? '[' : '(';
    const auto pos = h.rfind(open);
    if (pos != std::string::npos && pos > 0)
      return {trim(h.substr(0, pos)), trim(h.substr(pos + 1, h.size() - pos - 2))};
  }
  return {h, ""};
}

bool same_values(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() != b.size()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (a[i] != b[i]) return false;
  }
  return true;
}

/// The outputs with the oracle-computed ones set to NaN (what a results file can hold).
Eigen::VectorXd measured_only(const DesignSpace& space, Eigen::VectorXd outputs) {
  for (std::size_t k = 0; k < space.output_names().size(); ++k)
    if (space.oracle_source(space.output_names()[k]).oracle >= 0) outputs[static_cast<Eigen::Index>(k)] = std::nan("");
  return outputs;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

namespace campaign_detail {

std::vector<ParsedRow> parse_results(const Campaign& campaign, const CsvTable& table, RowMode mode) {
  const DesignSpace& space = campaign.space();
  const auto& spec = space.spec();
  const int ne = space.num_elements();
  const int np = space.num_process();
  const auto& outputs = space.output_names();
  const std::string file = table.file;
  std::vector<IngestProblem> problems;
  auto problem = [&](std::size_t row, const std::string& column, const std::string& value, const std::string& msg) {
    problems.push_back({Location{file, row, column, value}, msg});
  };

  // --- header ---
  int id_col = -1, formula_col = -1, status_col = -1;
  std::vector<int> element_col(static_cast<std::size_t>(ne), -1), process_col(static_cast<std::size_t>(np), -1),
      output_col(outputs.size(), -1);
  const std::string comp_name = spec.composition.column;
  std::set<std::string> seen_headers;
  std::vector<std::string> expected{"id", "status", "notes"};
  if (space.has_composition()) expected.push_back(comp_name);
  for (const auto& n : space.coordinate_names()) expected.push_back(n);
  for (const auto& o : outputs) expected.push_back(o);
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const int ci = static_cast<int>(c);
    const std::string raw = trim(table.header[c]);
    if (!seen_headers.insert(raw).second) {
      problem(1, raw, raw, "duplicated column name");
      continue;
    }
    const auto [name, unit] = split_unit(raw);
    const std::string lname = lower(name);
    if (lname == "id") { id_col = ci; continue; }
    if (lname == "status") { status_col = ci; continue; }
    if (lname == "notes" || lname == "note" || lname == "comment" || lname == "comments") continue;
    if (space.has_composition() && (name == comp_name || lname == "formula" || lname == "composition")) {
      formula_col = ci;
      continue;
    }
    const int coord = space.coordinate_index(name);
    if (coord >= 0 && unit.empty()) {
      if (coord < ne) element_col[static_cast<std::size_t>(coord)] = ci;
      else process_col[static_cast<std::size_t>(coord - ne)] = ci;
      continue;
    }
    if (const OracleColumn src = space.oracle_source(name); src.oracle >= 0) {
      problem(1, raw, raw, "'" + name + "' is computed by oracle '" + spec.oracles[static_cast<std::size_t>(src.oracle)].name +
                               "', not measured; remove the column");
      continue;
    }
    auto it = std::find(outputs.begin(), outputs.end(), name);
    if (it == outputs.end()) it = std::find(outputs.begin(), outputs.end(), raw);
    if (it != outputs.end()) {
      const auto k = static_cast<std::size_t>(it - outputs.begin());
      output_col[k] = ci;
      auto u = spec.units.find(*it);
      if (!unit.empty() && name == *it) {
        if (u == spec.units.end() || u->second.empty())
          problem(1, raw, unit, "unit given for '" + *it + "' but the design space declares none; remove it");
        else if (unit != u->second)
          problem(1, raw, unit, "wrong unit for '" + *it + "'; expected [" + u->second + "]");
      }
      continue;
    }
    problem(1, raw, raw, "unknown column; expected one of: " + join(expected));
  }
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const bool is_objective = std::any_of(space.objectives().begin(), space.objectives().end(),
                                          [&](const Objective& o) { return o.name == outputs[k]; });
    if (output_col[k] < 0 && is_objective && space.oracle_source(outputs[k]).oracle < 0) problem(1, outputs[k], "", "missing column for objective '" + outputs[k] + "'");
  }
  if (mode == RowMode::History && id_col >= 0)
    problem(1, "id", "id", "a history file holds prior measurements, not answers to proposals; remove the id column");
  const bool any_element = std::any_of(element_col.begin(), element_col.end(), [](int c) { return c >= 0; });
  if (id_col < 0) {
    if (space.has_composition() && formula_col < 0 && !any_element)
      problem(1, comp_name, "", "missing composition: give a '" + comp_name + "' column of formulas or one column per element");
    for (int k = 0; k < np; ++k)
      if (process_col[static_cast<std::size_t>(k)] < 0)
        problem(1, spec.process[static_cast<std::size_t>(k)].name, "", "missing process column");
  }
  // Header problems do not stop the row checks: the lab gets the whole list at once.

  // --- existing state for idempotency ---
  std::map<std::string, const ProposalRecord*> proposal_by_id;
  for (const auto& p : campaign.proposals()) proposal_by_id[p.id] = &p;
  std::map<std::string, const MeasurementRecord*> measurement_by_key;
  for (const auto& m : campaign.measurements()) measurement_by_key[m.key] = &m;

  std::map<std::string, std::size_t> ids_in_file, keys_in_file;
  std::vector<ParsedRow> rows;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& cells = table.rows[i];
    const std::size_t row = i < table.line_of_row.size() ? table.line_of_row[i] : i + 2;
    const std::size_t before = problems.size();
    auto cell = [&](int c) { return c >= 0 && static_cast<std::size_t>(c) < cells.size() ? trim(cells[static_cast<std::size_t>(c)]) : std::string(); };
    auto col_name = [&](int c) { return trim(table.header[static_cast<std::size_t>(c)]); };

    ParsedRow pr;
    pr.row = row;
    // status
    if (status_col >= 0) {
      const std::string s = lower(cell(status_col));
      if (s == "failed" || s == "fail") pr.failed = true;
      else if (!(s.empty() || s == "ok")) problem(row, "status", cell(status_col), "expected 'ok', 'failed' or empty (= ok)");
    }
    // outputs
    pr.outputs = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(outputs.size()), std::nan(""));
    std::size_t outputs_given = 0;
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      if (output_col[k] < 0) continue;
      const std::string text = cell(output_col[k]);
      if (text.empty()) {
        const bool is_objective = std::any_of(space.objectives().begin(), space.objectives().end(),
                                              [&](const Objective& o) { return o.name == outputs[k]; });
        if (!pr.failed && is_objective)
          problem(row, col_name(output_col[k]), "", "missing value; expected a number (or status 'failed')");
        continue;
      }
      double v = 0;
      if (!parse_double(text, v)) {
        problem(row, col_name(output_col[k]), text, "expected a number");
      } else if (!std::isfinite(v)) {
        problem(row, col_name(output_col[k]), text, "expected a finite number");
      } else {
        pr.outputs[static_cast<Eigen::Index>(k)] = v;
        ++outputs_given;
      }
    }
    if (pr.failed && outputs_given > 0) {
      // A failed experiment has no trustworthy values; keeping them would feed the model garbage.
      pr.outputs.setConstant(std::nan(""));
    }

    // composition and process from the cells
    Eigen::VectorXd point = Eigen::VectorXd::Zero(space.dimension());
    bool have_comp = false, comp_ok = true;
    if (space.has_composition() && formula_col >= 0 && !cell(formula_col).empty()) {
      const std::string text = cell(formula_col);
      try {
        const Composition c = Composition::parse(text);
        const auto z = c.elements();
        const auto x = c.fractions();
        for (std::size_t j = 0; j < z.size(); ++j) {
          const std::string sym(element_symbol(z[j]));
          const int e = space.coordinate_index(sym);
          if (e < 0 || e >= ne) {
            problem(row, col_name(formula_col), text, "element " + sym + " is not in the design space");
            comp_ok = false;
          } else {
            point[e] = x[j];
          }
        }
        have_comp = true;
      } catch (const FormulaError& e) {
        problem(row, col_name(formula_col), text, std::string("not a formula: ") + e.what());
        comp_ok = false;
      }
    }
    Eigen::VectorXd from_cols = Eigen::VectorXd::Zero(ne);
    bool any_frac = false;
    for (int e = 0; e < ne; ++e) {
      const int c = element_col[static_cast<std::size_t>(e)];
      if (c < 0) continue;
      const std::string text = cell(c);
      if (text.empty()) continue;
      double v = 0;
      if (!parse_double(text, v) || !std::isfinite(v) || v < 0) {
        problem(row, col_name(c), text, "expected a fraction >= 0");
        comp_ok = false;
      } else {
        from_cols[e] = v;
        any_frac = true;
      }
    }
    if (any_frac && comp_ok) {
      const double sum = from_cols.sum();
      if (std::abs(sum - 1.0) > 1e-6) {
        problem(row, space.coordinate_names()[0], format_double(sum), "element fractions must sum to 1");
        comp_ok = false;
      } else if (have_comp) {
        if ((from_cols - point.head(ne)).cwiseAbs().maxCoeff() > 1e-6) {
          problem(row, col_name(formula_col), cell(formula_col), "formula and element-fraction columns disagree");
          comp_ok = false;
        }
      } else {
        point.head(ne) = from_cols / sum;
        have_comp = true;
      }
    }
    bool proc_given = false;
    std::vector<bool> proc_have(static_cast<std::size_t>(np), false);
    for (int k = 0; k < np; ++k) {
      const int c = process_col[static_cast<std::size_t>(k)];
      if (c < 0) continue;
      const std::string text = cell(c);
      if (text.empty()) continue;
      const auto& p = spec.process[static_cast<std::size_t>(k)];
      proc_given = true;
      if (p.kind == ParameterKind::Categorical) {
        auto it = std::find(p.categories.begin(), p.categories.end(), text);
        if (it == p.categories.end()) problem(row, col_name(c), text, "unknown category; expected one of: " + join(p.categories));
        else { point[ne + k] = static_cast<double>(it - p.categories.begin()); proc_have[static_cast<std::size_t>(k)] = true; }
      } else {
        double v = 0;
        if (!parse_double(text, v) || !std::isfinite(v)) problem(row, col_name(c), text, "expected a finite number");
        else { point[ne + k] = v; proc_have[static_cast<std::size_t>(k)] = true; }
      }
    }

    const std::string id = id_col >= 0 ? cell(id_col) : std::string();
    if (!id.empty()) {
      auto it = proposal_by_id.find(id);
      if (it == proposal_by_id.end()) {
        problem(row, "id", id, "unknown proposal id; expected an id written by 'matopt propose' (or an empty id for a new composition)");
      } else if (auto dup = ids_in_file.find(id); dup != ids_in_file.end()) {
        problem(row, "id", id, "duplicated row: id already given in row " + std::to_string(dup->second));
      } else {
        ids_in_file[id] = row;
        const ProposalRecord& prop = *it->second;
        // Cells that restate the proposal must agree with it (a typo here means a mix-up in the lab).
        if (have_comp && comp_ok && (point.head(ne) - prop.point.head(ne)).cwiseAbs().maxCoeff() > 1e-6)
          problem(row, formula_col >= 0 ? col_name(formula_col) : std::string("composition"),
                  formula_col >= 0 ? cell(formula_col) : std::string(), "composition differs from proposal " + id + " (" + prop.formula + ")");
        for (int k = 0; k < np; ++k) {
          if (!proc_have[static_cast<std::size_t>(k)]) continue;
          const double a = point[ne + k], b = prop.point[ne + k];
          if (std::abs(a - b) > 1e-9 * std::max(1.0, std::abs(b)))
            problem(row, col_name(process_col[static_cast<std::size_t>(k)]), cell(process_col[static_cast<std::size_t>(k)]),
                    "differs from proposal " + id + " (" + campaign.coordinate_text(ne + k, b) + ")");
        }
        pr.proposal_id = id;
        pr.point = prop.point;
        pr.key = measurement_key(id, pr.point, pr.outputs, pr.failed);
        if (prop.state != "pending") {
          // Re-ingestion: identical values are a no-op; different values are a conflict.
          auto mk = measurement_by_key.find(pr.key);
          if (mk != measurement_by_key.end() && mk->second->failed == pr.failed &&
              same_values(measured_only(space, mk->second->outputs), pr.outputs))
            pr.already_ingested = true;
          else
            problem(row, "id", id, "proposal " + id + " is already closed (" + prop.state +
                                       ") with different values; give new measurements of it an empty id");
        }
      }
    } else {
      if (space.has_composition() && !have_comp && comp_ok)
        problem(row, formula_col >= 0 ? col_name(formula_col) : comp_name, "", "missing composition for a row without a proposal id");
      for (int k = 0; k < np; ++k)
        if (!proc_have[static_cast<std::size_t>(k)] && process_col[static_cast<std::size_t>(k)] >= 0)
          problem(row, col_name(process_col[static_cast<std::size_t>(k)]), "", "missing value for a row without a proposal id");
      (void)proc_given;
      if (problems.size() == before) {
        const auto violations = space.validate(point);
        for (const auto& v : violations) {
          if (mode == RowMode::Results) {
            const int c = space.coordinate_index(v.field);
            std::string column = v.field, value;
            if (c >= 0) value = campaign.coordinate_text(c, point[c]);
            problem(row, column, value, "outside the design space: " + v.message);
          }
        }
        pr.point = point;
        pr.key = measurement_key("", pr.point, pr.outputs, pr.failed);
        if (auto dup = keys_in_file.find(pr.key); dup != keys_in_file.end())
          problem(row, "", "", "duplicated row: same composition, process and values as row " + std::to_string(dup->second));
        else
          keys_in_file[pr.key] = row;
        if (measurement_by_key.count(pr.key)) pr.already_ingested = true;
      }
    }
    if (problems.size() == before) rows.push_back(std::move(pr));
  }
  if (table.rows.empty()) problem(2, "", "", "no data rows");
  if (!problems.empty()) throw IngestError(std::move(problems));
  return rows;
}

}  // namespace campaign_detail

IngestSummary Campaign::ingest(const std::filesystem::path& results_csv, const std::vector<std::string>& argv) {
  return ingest(read_csv(results_csv), argv);
}

IngestSummary Campaign::ingest(const CsvTable& table, const std::vector<std::string>& argv) {
  CampaignLock lock(path_, CampaignLock::default_timeout());
  load_from(path_);
  const std::vector<ParsedRow> rows = parse_results(*this, table, RowMode::Results);
  const std::string source = std::filesystem::path(table.file).filename().string();

  std::vector<MeasurementRecord> before_measurements;
  std::vector<ProposalRecord> before_proposals;
  if (space_.has_oracles()) {
    before_measurements = measurements_;
    before_proposals = proposals_;
  }
  IngestSummary s;
  s.rows = table.rows.size();
  std::map<std::string, ProposalRecord*> by_id;
  for (auto& p : proposals_) by_id[p.id] = &p;
  for (const auto& r : rows) {
    if (r.already_ingested) {
      ++s.unchanged;
      continue;
    }
    MeasurementRecord m;
    m.id = "m" + std::to_string(measurements_.size() + 1);
    m.proposal_id = r.proposal_id;
    m.failed = r.failed;
    m.point = r.point;
    m.outputs = r.outputs;
    m.formula = formula_of(r.point);
    m.source = source;
    m.key = r.key;
    m.round = rounds_;
    if (!r.proposal_id.empty()) {
      ProposalRecord* p = by_id.at(r.proposal_id);
      p->state = r.failed ? "failed" : "measured";
      m.round = p->round;
      s.closed.push_back(p->id);
    }
    ++s.added;
    if (r.failed) ++s.failed;
    measurements_.push_back(std::move(m));
  }
  if (!s.changed()) return s;  // same file again: leave the campaign file untouched
  fill_new_oracle_outputs(s.added, before_measurements, before_proposals);
  add_history("ingest",
              source + ": " + std::to_string(s.added) + " new measurements (" +
                  std::to_string(s.failed) + " failed), " + std::to_string(s.closed.size()) + " proposals closed, " +
                  std::to_string(s.unchanged) + " rows already present",
              seed_, argv);
  save();
  return s;
}

}  // namespace matopt
