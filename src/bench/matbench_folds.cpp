// SPDX-License-Identifier: MIT
// Matbench folds files, task-type detection and duplicate-composition report.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "matopt/bench/matbench.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

std::string to_string(MatbenchTaskType type) {
  return type == MatbenchTaskType::Regression ? "regression" : "classification";
}

namespace {

std::string string_field(const nlohmann::json& j, const char* key, const std::string& name) {
  if (!j.contains(key)) return {};
  if (!j[key].is_string()) throw DataError(name + ": field '" + key + "' must be a string");
  return j[key].get<std::string>();
}

std::vector<std::size_t> parse_index_list(const nlohmann::json& list, std::size_t fold, const std::string& name) {
  if (!list.is_array())
    throw DataError(name + ": fold " + std::to_string(fold) + ": expected an array of row indices");
  std::vector<std::size_t> out;
  out.reserve(list.size());
  for (std::size_t k = 0; k < list.size(); ++k) {
    const auto& v = list[k];
    if (v.is_number_unsigned()) {
      out.push_back(v.get<std::size_t>());
    } else if (v.is_number_integer()) {  // signed and negative (non-negative ones are unsigned above)
      throw DataError(name + ": fold " + std::to_string(fold) + ", position " + std::to_string(k) +
                      ": row index " + std::to_string(v.get<long long>()) + " is negative");
    } else {
      throw DataError(name + ": fold " + std::to_string(fold) + ", position " + std::to_string(k) +
                      ": expected a non-negative integer row index (got " + v.dump() + ")");
    }
  }
  return out;
}

}  // namespace

MatbenchFolds parse_matbench_folds(const std::string& json_text, const std::string& name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(name + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("folds") || !j["folds"].is_array())
    throw DataError(name + ": expected a JSON object with a \"folds\" array");
  MatbenchFolds f;
  f.task = string_field(j, "task", name);
  f.target = string_field(j, "target", name);
  f.task_type = string_field(j, "task_type", name);
  if (j.contains("n")) {
    if (!j["n"].is_number_unsigned()) throw DataError(name + ": field 'n' must be a non-negative integer");
    f.n = j["n"].get<std::size_t>();
  }
  const auto& folds = j["folds"];
  for (std::size_t k = 0; k < folds.size(); ++k) {
    const auto& fold = folds[k];
    // Accept {"test": [...]} (our export of the official folds) and a bare list.
    if (fold.is_object()) {
      if (!fold.contains("test"))
        throw DataError(name + ": fold " + std::to_string(k) + ": missing the \"test\" array");
      f.test.push_back(parse_index_list(fold["test"], k, name));
    } else {
      f.test.push_back(parse_index_list(fold, k, name));
    }
  }
  return f;
}

MatbenchFolds read_matbench_folds(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path.string() + ": cannot open the folds file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IOError(path.string() + ": error reading the folds file");
  return parse_matbench_folds(ss.str(), path.string());
}

namespace {

// Splits that need not partition the rows: every index in range, none twice in a fold, training rows
// (when given) non-empty and disjoint from the test rows.
void validate_free_folds(const MatbenchFolds& folds, std::size_t n_rows, const std::string& name) {
  if (folds.test.empty()) throw DataError(name + ": no folds");
  if (!folds.train.empty() && folds.train.size() != folds.test.size())
    throw DataError(name + ": " + std::to_string(folds.train.size()) + " training sets for " +
                    std::to_string(folds.test.size()) + " folds");
  std::vector<char> seen(n_rows, 0);
  for (std::size_t k = 0; k < folds.test.size(); ++k) {
    if (folds.test[k].empty()) throw DataError(name + ": fold " + std::to_string(k) + " has no test rows");
    std::fill(seen.begin(), seen.end(), 0);
    for (std::size_t i : folds.test[k]) {
      if (i >= n_rows || seen[i])
        throw DataError(name + ": fold " + std::to_string(k) + ": test row index " + std::to_string(i) +
                        (i >= n_rows ? " is past the end of the dataset" : " appears twice"));
      seen[i] = 1;
    }
    if (folds.train.empty()) continue;
    if (folds.train[k].empty()) throw DataError(name + ": fold " + std::to_string(k) + " has no training rows");
    for (std::size_t i : folds.train[k])
      if (i >= n_rows || seen[i] == 1)
        throw DataError(name + ": fold " + std::to_string(k) + ": training row index " + std::to_string(i) +
                        (i >= n_rows ? " is past the end of the dataset" : " is also a test row"));
  }
}

}  // namespace

void validate_matbench_folds(const MatbenchFolds& folds, std::size_t n_rows, const std::string& name) {
  if (!folds.partition) return validate_free_folds(folds, n_rows, name);
  if (folds.test.size() < 2)
    throw DataError(name + ": expected at least 2 folds, got " + std::to_string(folds.test.size()));
  if (folds.n != 0 && folds.n != n_rows)
    throw DataError(name + ": the folds are for n = " + std::to_string(folds.n) + " rows but the dataset has " +
                    std::to_string(n_rows));
  // owner[i] = 1 + fold that holds row i as a test row (0 = none yet).
  std::vector<std::size_t> owner(n_rows, 0);
  for (std::size_t k = 0; k < folds.test.size(); ++k) {
    if (folds.test[k].empty()) throw DataError(name + ": fold " + std::to_string(k) + " has no test rows");
    for (std::size_t pos = 0; pos < folds.test[k].size(); ++pos) {
      const std::size_t i = folds.test[k][pos];
      if (i >= n_rows)
        throw DataError(name + ": fold " + std::to_string(k) + ", position " + std::to_string(pos) + ": row index " +
                        std::to_string(i) + " is past the end of the dataset (" + std::to_string(n_rows) +
                        " rows, indices 0.." + std::to_string(n_rows - 1) + ")");
      if (owner[i] != 0) {
        const std::size_t other = owner[i] - 1;
        throw DataError(name + ": row index " + std::to_string(i) +
                        (other == k ? " appears twice in fold " + std::to_string(k)
                                    : " is in the test sets of folds " + std::to_string(other) + " and " +
                                          std::to_string(k)) +
                        " (test folds must not overlap)");
      }
      owner[i] = k + 1;
    }
  }
  std::size_t missing = 0, first_missing = 0;
  for (std::size_t i = 0; i < n_rows; ++i)
    if (owner[i] == 0 && missing++ == 0) first_missing = i;
  if (missing != 0)
    throw DataError(name + ": " + std::to_string(missing) + " row(s) are in no test fold (first: row index " +
                    std::to_string(first_missing) + "); the test folds must cover every row");
}

std::vector<std::size_t> matbench_train_rows(const MatbenchFolds& folds, std::size_t fold, std::size_t n_rows) {
  if (fold >= folds.test.size())
    throw InvalidArgument("fold " + std::to_string(fold) + " does not exist (there are " +
                          std::to_string(folds.test.size()) + " folds, 0.." + std::to_string(folds.test.size() - 1) +
                          ")");
  if (!folds.train.empty()) return folds.train.at(fold);
  std::vector<char> is_test(n_rows, 0);
  for (std::size_t i : folds.test[fold])
    if (i < n_rows) is_test[i] = 1;
  std::vector<std::size_t> train;
  train.reserve(n_rows);
  for (std::size_t i = 0; i < n_rows; ++i)
    if (!is_test[i]) train.push_back(i);
  return train;
}

MatbenchTaskType detect_matbench_task_type(const Column& target, const std::string& file) {
  MatbenchTaskType type;
  switch (target.type) {
    case ColumnType::Boolean: type = MatbenchTaskType::Classification; break;
    case ColumnType::Continuous:
    case ColumnType::Integer: type = MatbenchTaskType::Regression; break;
    default:
      throw DataError(format_location({file, 0, target.name, {}},
                                      "target column is neither numeric (regression) nor boolean "
                                      "(classification): it holds " +
                                          std::string(to_string(target.type)) + " values"));
  }
  for (std::size_t i = 0; i < target.values.size(); ++i)
    if (!std::isfinite(target.values[i]))
      throw DataError(format_location({file, i + 2, target.name, target.text(i)},
                                      "missing or non-finite target value (every row needs one)"));
  return type;
}

DuplicateReport find_duplicate_compositions(const Dataset& data, const Eigen::VectorXd& y, double tolerance) {
  DuplicateReport rep;
  if (!data.has_composition()) return rep;
  // Key on the normalized fractional formula, which identifies the composition independently of how
  // the formula was written ("Fe2O3" and "O3Fe2" collide, as they should).
  std::unordered_map<std::string, std::vector<std::size_t>> groups;
  std::vector<std::string> order;
  for (std::size_t i = 0; i < data.compositions.size(); ++i) {
    std::string key = data.compositions[i].formula(12);
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.push_back(i);
  }
  for (const auto& key : order) {
    const auto& rows = groups[key];
    if (rows.size() < 2) continue;
    ++rep.groups;
    rep.rows += rows.size();
    bool conflict = false;
    for (std::size_t r = 1; r < rows.size() && !conflict; ++r) {
      const double a = y[static_cast<Eigen::Index>(rows[0])], b = y[static_cast<Eigen::Index>(rows[r])];
      conflict = std::abs(a - b) > tolerance * std::max({1.0, std::abs(a), std::abs(b)});
    }
    if (conflict) {
      ++rep.conflicting_groups;
      rep.conflicting_rows += rows.size();
      if (rep.examples.size() < 5) rep.examples.push_back(data.compositions[rows[0]].reduced_formula());
    }
  }
  return rep;
}

}  // namespace matopt
