// SPDX-License-Identifier: MIT
#include "matopt/core/dataset.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include "matopt/core/archive.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt {

namespace {

constexpr const char* kFormat = "matopt-dataset";
constexpr std::int64_t kVersion = 1;

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

// Empty cells are missing; so are the spellings pandas and R write for missing values.
bool is_missing(std::string_view cell) {
  cell = trim_blanks(cell);
  return cell.empty() || cell == "NaN" || cell == "nan" || cell == "NA" || cell == "N/A" || cell == "null";
}

// 1 = true, 0 = false, -1 = not a boolean.
int parse_bool(std::string_view cell) {
  cell = trim_blanks(cell);
  if (cell == "True" || cell == "true" || cell == "TRUE" || cell == "1") return 1;
  if (cell == "False" || cell == "false" || cell == "FALSE" || cell == "0") return 0;
  return -1;
}
bool is_bool_word(std::string_view cell) {
  cell = trim_blanks(cell);
  return cell == "True" || cell == "true" || cell == "TRUE" || cell == "False" || cell == "false" || cell == "FALSE";
}

enum class Kind { Empty, Numeric, Boolean, Text };

Kind infer_kind(const CsvTable& t, std::size_t col) {
  bool any = false, all_numeric = true, all_bool = true, any_word = false;
  for (const auto& r : t.rows) {
    const std::string& c = r[col];
    if (is_missing(c)) continue;
    any = true;
    double v;
    if (!parse_double(c, v)) all_numeric = false;
    if (parse_bool(c) < 0) all_bool = false;
    if (is_bool_word(c)) any_word = true;
  }
  if (!any) return Kind::Empty;
  if (all_bool && any_word) return Kind::Boolean;
  if (all_numeric) return Kind::Numeric;
  if (any_word) return Kind::Boolean;  // mostly booleans with a bad cell: reported by build_column
  return Kind::Text;
}

Column build_column(const CsvTable& t, std::size_t col, bool allow_categorical) {
  Column c;
  c.name = t.header[col];
  c.values.assign(t.rows.size(), nan());
  const Kind kind = infer_kind(t, col);
  if (kind == Kind::Boolean) {
    c.type = ColumnType::Boolean;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const std::string& s = t.rows[i][col];
      if (is_missing(s)) continue;
      const int b = parse_bool(s);
      if (b < 0)
        throw DataError(format_location({t.file, i + 2, c.name, s}, "expected a boolean (True/False/true/false/1/0)"));
      c.values[i] = b;
    }
    return c;
  }
  if (kind == Kind::Text && allow_categorical) {
    c.type = ColumnType::Categorical;
    std::map<std::string, std::size_t, std::less<>> index;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const std::string& s = t.rows[i][col];
      if (is_missing(s)) continue;
      const std::string key(trim_blanks(s));
      auto [it, inserted] = index.emplace(key, c.categories.size());
      if (inserted) c.categories.push_back(key);
      c.values[i] = static_cast<double>(it->second);
    }
    return c;
  }
  bool integral = true;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const std::string& s = t.rows[i][col];
    if (is_missing(s)) continue;
    double v;
    if (!parse_double(s, v)) throw DataError(format_location({t.file, i + 2, c.name, s}, "expected a number"));
    if (v != std::floor(v) || !std::isfinite(v)) integral = false;
    c.values[i] = v;
  }
  c.type = integral && kind != Kind::Empty ? ColumnType::Integer : ColumnType::Continuous;
  return c;
}

// Spellings a composition column goes by (compared after normalize_name).
constexpr std::array<std::string_view, 14> kCompositionNames = {
    "composition", "compositions", "formula", "formulas", "formula_pretty", "pretty_formula", "reduced_formula",
    "full_formula", "chemical_formula", "comp", "compound", "compounds", "material_formula", "alloy_formula"};

std::string normalize_name(std::string_view name) {
  std::string k(trim_blanks(name));
  for (char& ch : k) {
    if (ch == ' ' || ch == '-') ch = '_';
    else ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return k;
}

struct FormulaCount {
  std::size_t cells = 0, formulas = 0;  // non-missing cells, and how many parse as formulas
};

FormulaCount count_formulas(const CsvTable& t, std::size_t col, const FormulaOptions& fo) {
  FormulaCount n;
  Composition scratch;
  for (const auto& r : t.rows) {
    const std::string& s = r[col];
    if (is_missing(s)) continue;
    ++n.cells;
    try {
      Composition::parse_into(s, scratch, fo);
      ++n.formulas;
    } catch (const FormulaError&) {
    }
  }
  return n;
}

// More than half the filled cells are numbers: a numeric column with bad cells, not a text column.
bool mostly_numbers(const CsvTable& t, std::size_t col) {
  std::size_t cells = 0, numbers = 0;
  for (const auto& r : t.rows) {
    if (is_missing(r[col])) continue;
    ++cells;
    double v;
    if (parse_double(r[col], v)) ++numbers;
  }
  return 2 * numbers > cells;
}

struct Detected {
  std::optional<std::size_t> column;
  std::string reason;
};

// The composition column of a table whose caller named none (see CsvImportOptions).
Detected detect_composition(const CsvTable& t, const std::vector<bool>& used, const FormulaOptions& fo) {
  for (std::size_t c = 0; c < t.header.size(); ++c)
    if (!used[c] && is_composition_column_name(t.header[c])) return {c, "named like a composition"};
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    if (used[c] || infer_kind(t, c) != Kind::Text) continue;
    const FormulaCount n = count_formulas(t, c, fo);
    if (2 * n.formulas > n.cells)
      return {c, std::to_string(n.formulas) + " of " + std::to_string(n.cells) + " cells parse as formulas"};
  }
  return {};
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s.empty() ? "(none)" : s;
}

std::string sanitize_key(const std::string& name) {
  std::string k;
  for (char ch : name) {
    if (ch == '/') k += "\xE2\x88\x95";  // U+2215 DIVISION SLASH: '/' separates HDF5 paths
    else k += ch;
  }
  if (k.empty() || k == "." || k == "..") k = "_" + k;
  return k;
}

const Column& find_column(const std::vector<Column>& cols, std::string_view name, const char* kind) {
  for (const auto& c : cols)
    if (c.name == name) return c;
  std::string msg = std::string("no ") + kind + " column named '" + std::string(name) + "'; " + kind + " columns:";
  if (cols.empty()) msg += " (none)";
  for (const auto& c : cols) msg += " '" + c.name + "'";
  throw InvalidArgument(msg);
}

}  // namespace

std::string_view to_string(ColumnType type) noexcept {
  switch (type) {
    case ColumnType::Continuous: return "continuous";
    case ColumnType::Integer: return "integer";
    case ColumnType::Categorical: return "categorical";
    case ColumnType::Boolean: return "boolean";
  }
  return "continuous";
}

ColumnType column_type_from_string(std::string_view name) {
  for (ColumnType t : {ColumnType::Continuous, ColumnType::Integer, ColumnType::Categorical, ColumnType::Boolean})
    if (to_string(t) == name) return t;
  throw InvalidArgument("unknown column type '" + std::string(name) +
                        "'; valid types: continuous, integer, categorical, boolean");
}

std::string Column::text(std::size_t row) const {
  const double v = values.at(row);
  if (std::isnan(v)) return "";
  switch (type) {
    case ColumnType::Categorical: {
      const auto i = static_cast<std::size_t>(v);
      return i < categories.size() ? categories[i] : "";
    }
    case ColumnType::Boolean: return v != 0 ? "True" : "False";
    case ColumnType::Integer:
      if (std::abs(v) < 9.0e15) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
      }
      return format_double(v);
    case ColumnType::Continuous: return format_double(v);
  }
  return format_double(v);
}

const Column& Dataset::target(std::string_view name) const { return find_column(targets, name, "target"); }
const Column& Dataset::process_column(std::string_view name) const { return find_column(process, name, "process"); }

Eigen::VectorXd Dataset::target_vector(std::string_view name) const {
  const Column& c = target(name);
  return Eigen::Map<const Eigen::VectorXd>(c.values.data(), static_cast<Eigen::Index>(c.values.size()));
}

Dataset Dataset::subset(std::span<const std::size_t> rows_idx) const {
  Dataset out;
  out.id_column = id_column;
  out.composition_column = composition_column;
  out.process = process;
  out.targets = targets;
  for (auto& c : out.process) c.values.clear();
  for (auto& c : out.targets) c.values.clear();
  for (std::size_t r : rows_idx) {
    if (r >= rows()) throw InvalidArgument("subset: row index " + std::to_string(r) + " out of range (" + std::to_string(rows()) + " rows)");
    out.ids.push_back(ids[r]);
    if (r < compositions.size()) out.compositions.push_back(compositions[r]);
    if (r < formulas.size()) out.formulas.push_back(formulas[r]);
    for (std::size_t k = 0; k < process.size(); ++k) out.process[k].values.push_back(process[k].values[r]);
    for (std::size_t k = 0; k < targets.size(); ++k) out.targets[k].values.push_back(targets[k].values[r]);
  }
  return out;
}

std::vector<int> Dataset::elements() const {
  std::array<bool, kMaxZ + 1> seen{};
  for (const auto& c : compositions)
    for (auto z : c.elements()) seen[z] = true;
  std::vector<int> out;
  for (int z = 1; z <= kMaxZ; ++z)
    if (seen[z]) out.push_back(z);
  return out;
}

void Dataset::validate() const {
  const std::size_t n = rows();
  if (has_composition() && compositions.size() != n)
    throw DataError(format_location({"", 0, composition_column, ""}, "has " + std::to_string(compositions.size()) +
                                                                          " compositions for " + std::to_string(n) + " rows"));
  if (!formulas.empty() && formulas.size() != n)
    throw DataError(format_location({"", 0, composition_column, ""}, "has " + std::to_string(formulas.size()) +
                                                                          " formulas for " + std::to_string(n) + " rows"));
  std::set<std::string> names;
  if (has_composition()) names.insert(composition_column);
  if (!id_column.empty() && !names.insert(id_column).second)
    throw DataError(format_location({"", 0, id_column, ""}, "column name used twice"));
  auto check = [&](const Column& c) {
    if (c.name.empty()) throw DataError("a column has an empty name");
    if (!names.insert(c.name).second) throw DataError(format_location({"", 0, c.name, ""}, "column name used twice"));
    if (c.values.size() != n)
      throw DataError(format_location({"", 0, c.name, ""}, "has " + std::to_string(c.values.size()) + " values for " +
                                                               std::to_string(n) + " rows"));
    if (c.type != ColumnType::Categorical && !c.categories.empty())
      throw DataError(format_location({"", 0, c.name, ""}, "only categorical columns have categories"));
    for (std::size_t i = 0; i < n; ++i) {
      const double v = c.values[i];
      if (std::isnan(v)) continue;
      const bool ok = c.type == ColumnType::Continuous ||
                      (c.type == ColumnType::Integer && v == std::floor(v)) ||
                      (c.type == ColumnType::Boolean && (v == 0 || v == 1)) ||
                      (c.type == ColumnType::Categorical && v >= 0 && v == std::floor(v) &&
                       v < static_cast<double>(c.categories.size()));
      if (!ok)
        throw DataError(format_location({"", i + 2, c.name, format_double(v)},
                                        "value is not valid for a " + std::string(to_string(c.type)) + " column"));
    }
  };
  for (const auto& c : process) check(c);
  for (const auto& c : targets) check(c);
}

bool is_composition_column_name(std::string_view name) {
  const std::string k = normalize_name(name);
  return std::find(kCompositionNames.begin(), kCompositionNames.end(), k) != kCompositionNames.end();
}

std::string ImportReport::summary(const Dataset& data) const {
  std::string s = "composition column: ";
  s += data.has_composition() ? "'" + data.composition_column + "'" : std::string("none");
  if (data.has_composition() && !composition_reason.empty()) s += " (" + composition_reason + ")";
  std::vector<std::string> names;
  for (const auto& c : data.targets) names.push_back(c.name);
  s += "; targets: " + quoted_list(names) + (targets_guessed ? " (every numeric or boolean column left)" : "");
  if (!data.process.empty()) {
    s += "; process columns:";
    for (std::size_t k = 0; k < data.process.size(); ++k)
      s += std::string(k ? ", '" : " '") + data.process[k].name + "' (" + std::string(to_string(data.process[k].type)) + ")";
  }
  if (!data.id_column.empty()) s += "; id column: '" + data.id_column + "'";
  return s;
}

Dataset read_dataset_csv(const std::filesystem::path& path, const CsvImportOptions& options, ImportReport* report) {
  return read_dataset_table(read_csv(path), options, report);
}

Dataset read_dataset_table(const CsvTable& t, const CsvImportOptions& options, ImportReport* report) {
  ImportReport local;
  ImportReport& rep = report ? *report : local;
  rep = ImportReport{};
  Dataset d;
  const std::size_t n = t.rows.size();
  std::vector<bool> used(t.header.size(), false);
  auto claim = [&](const std::string& name, const char* role) {
    const std::size_t i = t.column(name);
    if (used[i]) throw InvalidArgument(t.file + ": column '" + name + "' is given two roles (second: " + role + ")");
    used[i] = true;
    return i;
  };
  {
    std::set<std::string> seen;
    for (const auto& h : t.header)
      if (!seen.insert(h).second) throw DataError(format_location({t.file, 1, h, ""}, "column name appears twice in the header"));
  }

  if (n == 0) throw DataError(t.file + ": the table has a header but no data rows");
  std::optional<std::size_t> comp_col;
  if (options.no_composition) {
    if (options.composition) throw InvalidArgument("--composition and --no-composition contradict each other");
  } else if (options.composition) {
    comp_col = claim(*options.composition, "composition");
  }
  std::optional<std::size_t> id_col;
  if (options.id) id_col = claim(*options.id, "id");
  std::vector<std::size_t> proc_cols, target_cols;
  for (const auto& p : options.process) proc_cols.push_back(claim(p, "process"));
  for (const auto& tg : options.targets) target_cols.push_back(claim(tg, "target"));
  if (comp_col || options.no_composition) rep.composition_reason = "given";
  rep.composition_guessed = !options.no_composition && !comp_col;
  if (rep.composition_guessed) {
    const Detected found = detect_composition(t, used, options.formula);
    if (found.column) {
      comp_col = found.column;
      used[*comp_col] = true;
      rep.composition_reason = found.reason;
    } else if (options.require_composition) {
      throw DataError(t.file + ": no composition column found; columns: " + quoted_list(t.header) +
                      "; use --composition COL or --no-composition");
    }
  }

  // Compositions.
  if (comp_col) {
    d.composition_column = t.header[*comp_col];
    d.compositions.resize(n);
    d.formulas.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& s = t.rows[i][*comp_col];
      d.formulas[i] = s;
      try {
        Composition::parse_into(s, d.compositions[i], options.formula);
      } catch (const FormulaError& e) {
        std::string why = e.what();
        if (rep.composition_guessed)
          why += " (the composition column was detected: " + rep.composition_reason +
                 "; name it with --composition COL, or use --no-composition)";
        throw DataError(format_location({t.file, i + 2, d.composition_column, ""}, why));
      }
    }
  }
  // Ids.
  d.ids.resize(n);
  if (id_col) {
    d.id_column = t.header[*id_col];
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < n; ++i) {
      d.ids[i] = std::string(trim_blanks(t.rows[i][*id_col]));
      if (d.ids[i].empty()) throw DataError(format_location({t.file, i + 2, d.id_column, ""}, "empty row id"));
      if (!seen.insert(d.ids[i]).second)
        throw DataError(format_location({t.file, i + 2, d.id_column, d.ids[i]}, "duplicate row id"));
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) d.ids[i] = std::to_string(i + 1);
  }
  for (std::size_t c : proc_cols) d.process.push_back(build_column(t, c, true));
  for (std::size_t c : target_cols) {
    Column col = build_column(t, c, false);
    d.targets.push_back(std::move(col));
  }
  rep.targets_guessed = options.targets.empty();
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    if (used[c]) continue;
    const Kind k = infer_kind(t, c);
    if (k == Kind::Empty) {
      rep.not_imported.emplace_back(t.header[c], "every cell is empty");
    } else if (!options.targets.empty()) {
      rep.not_imported.emplace_back(t.header[c], "not named by --target or --process");
    } else if (k == Kind::Numeric || k == Kind::Boolean) {
      d.targets.push_back(build_column(t, c, false));
    } else if (mostly_numbers(t, c)) {
      d.targets.push_back(build_column(t, c, false));  // throws at the first cell that is not a number
    } else {
      rep.not_imported.emplace_back(t.header[c], "text, not numbers or booleans (name it with --process to use it as a category)");
    }
  }
  for (const auto& [name, why] : rep.not_imported)
    log_info(t.file + ": column '" + name + "' not imported: " + why);
  d.validate();
  log_info(t.file + ": imported " + std::to_string(n) + " rows, " + std::to_string(d.targets.size()) + " targets, " +
           std::to_string(d.process.size()) + " process columns");
  return d;
}

void write_dataset_csv(const Dataset& data, const std::filesystem::path& path) {
  data.validate();
  std::vector<std::string> header;
  if (!data.id_column.empty()) header.push_back(data.id_column);
  if (data.has_composition()) header.push_back(data.composition_column);
  for (const auto& c : data.process) header.push_back(c.name);
  for (const auto& c : data.targets) header.push_back(c.name);
  std::vector<std::vector<std::string>> rows(data.rows());
  for (std::size_t i = 0; i < data.rows(); ++i) {
    auto& r = rows[i];
    if (!data.id_column.empty()) r.push_back(data.ids[i]);
    if (data.has_composition())
      r.push_back(i < data.formulas.size() && !data.formulas[i].empty() ? data.formulas[i] : data.compositions[i].formula());
    for (const auto& c : data.process) r.push_back(c.text(i));
    for (const auto& c : data.targets) r.push_back(c.text(i));
  }
  write_csv(path, header, rows);
}

void write_dataset_h5(const Dataset& data, const std::filesystem::path& path) {
  data.validate();
  const std::size_t n = data.rows();
  Archive a;
  a.set_attr("rows", static_cast<std::int64_t>(n));
  a.set_attr("composition_column", data.composition_column);
  a.set_attr("id_column", data.id_column);
  a.set("ids", data.ids);
  if (data.has_composition()) {
    const auto elems = data.elements();
    std::array<int, kMaxZ + 1> col_of{};
    std::vector<std::string> symbols;
    for (std::size_t k = 0; k < elems.size(); ++k) {
      col_of[elems[k]] = static_cast<int>(k);
      symbols.emplace_back(element_symbol(elems[k]));
    }
    Eigen::MatrixXd f = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(elems.size()));
    for (std::size_t i = 0; i < n; ++i) {
      const auto& c = data.compositions[i];
      for (std::size_t k = 0; k < c.size(); ++k)
        f(static_cast<Eigen::Index>(i), col_of[c.elements()[k]]) = c.fractions()[k];
    }
    Archive& g = a.child("composition");
    g.set("fractions", std::move(f));
    g.set_data_attr("fractions", "elements", symbols);
    std::vector<std::string> formulas = data.formulas;
    formulas.resize(n);
    g.set("formulas", std::move(formulas));
  }
  std::vector<std::string> names, keys, roles, types;
  Archive& cols = a.child("columns");
  std::set<std::string> taken;
  auto add = [&](const Column& c, const char* role) {
    std::string key = sanitize_key(c.name);
    if (!taken.insert(key).second) key.append(1, '#').append(std::to_string(names.size()));
    taken.insert(key);
    names.push_back(c.name);
    keys.push_back(key);
    roles.push_back(role);
    types.emplace_back(to_string(c.type));
    cols.set(key, Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(c.values.data(), static_cast<Eigen::Index>(n))));
    if (c.type == ColumnType::Categorical) cols.set_data_attr(key, "categories", c.categories);
  };
  for (const auto& c : data.process) add(c, "process");
  for (const auto& c : data.targets) add(c, "target");
  a.set("column_names", names);
  a.set("column_keys", keys);
  a.set("column_roles", roles);
  a.set("column_types", types);
  save_archive(a, path, kFormat, kVersion);
}

Dataset read_dataset_h5(const std::filesystem::path& path) {
  const Archive a = load_archive(path, kFormat, kVersion);
  const std::string file = path.string();
  auto bad = [&file](const std::string& what) { return IOError(file + ": corrupt matopt-dataset file: " + what); };
  try {
    Dataset d;
    const std::int64_t n64 = a.attr_int("rows");
    if (n64 < 0) throw bad("negative row count");
    const auto n = static_cast<std::size_t>(n64);
    d.composition_column = a.attr_string("composition_column");
    d.id_column = a.attr_string("id_column");
    d.ids = a.strings("ids");
    if (d.ids.size() != n) throw bad("'ids' has " + std::to_string(d.ids.size()) + " entries, expected " + std::to_string(n));
    if (d.has_composition()) {
      const Archive& g = a.child("composition");
      const Eigen::MatrixXd& f = g.matrix("fractions");
      const auto* symbols = g.data_attr("fractions", "elements");
      if (!symbols) throw bad("composition/fractions has no 'elements' attribute");
      if (static_cast<std::size_t>(f.rows()) != n || static_cast<std::size_t>(f.cols()) != symbols->size())
        throw bad("composition/fractions has shape [" + std::to_string(f.rows()) + ", " + std::to_string(f.cols()) +
                  "], expected [" + std::to_string(n) + ", " + std::to_string(symbols->size()) + "]");
      std::vector<int> zs;
      for (const auto& s : *symbols) {
        const int z = element_z(s);
        if (z == 0) throw bad("unknown element symbol '" + s + "' in composition/fractions elements");
        zs.push_back(z);
      }
      d.compositions.reserve(n);
      std::vector<std::pair<int, double>> amounts;
      for (std::size_t i = 0; i < n; ++i) {
        amounts.clear();
        for (std::size_t k = 0; k < zs.size(); ++k) {
          const double x = f(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k));
          if (x != 0) amounts.emplace_back(zs[k], x);
        }
        try {
          d.compositions.push_back(Composition::from_amounts(amounts));
        } catch (const DataError& e) {
          throw bad("composition/fractions row " + std::to_string(i) + ": " + e.what());
        }
      }
      d.formulas = g.has("formulas") ? g.strings("formulas") : std::vector<std::string>(n);
      if (d.formulas.size() != n) throw bad("composition/formulas has the wrong length");
    }
    const auto& names = a.strings("column_names");
    const auto& keys = a.strings("column_keys");
    const auto& roles = a.strings("column_roles");
    const auto& types = a.strings("column_types");
    if (keys.size() != names.size() || roles.size() != names.size() || types.size() != names.size())
      throw bad("column_names/keys/roles/types differ in length");
    const Archive& cols = a.child("columns");
    for (std::size_t k = 0; k < names.size(); ++k) {
      Column c;
      c.name = names[k];
      c.type = column_type_from_string(types[k]);
      const Eigen::VectorXd& v = cols.vector(keys[k]);
      if (static_cast<std::size_t>(v.size()) != n) throw bad("column '" + c.name + "' has the wrong length");
      c.values.assign(v.data(), v.data() + v.size());
      if (c.type == ColumnType::Categorical) {
        const auto* cats = cols.data_attr(keys[k], "categories");
        if (!cats) throw bad("categorical column '" + c.name + "' has no 'categories' attribute");
        c.categories = *cats;
      }
      if (roles[k] == "process") d.process.push_back(std::move(c));
      else if (roles[k] == "target") d.targets.push_back(std::move(c));
      else throw bad("column '" + names[k] + "' has unknown role '" + roles[k] + "'");
    }
    d.validate();
    return d;
  } catch (const Error& e) {
    // Our own messages already name the file; the Archive's accessors do not.
    if (std::string_view(e.what()).starts_with(file + ": corrupt")) throw;
    throw bad(e.what());
  }
}

Dataset read_dataset(const std::filesystem::path& path, const CsvImportOptions& options, ImportReport* report) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto from_h5 = [&] {
    Dataset d = read_dataset_h5(path);
    if (report) {
      *report = ImportReport{};
      if (d.has_composition()) report->composition_reason = "stored in the file";
    }
    return d;
  };
  if (ext == ".h5" || ext == ".hdf5") return from_h5();
  if (ext == ".csv") return read_dataset_csv(path, options, report);
  // Unknown extension: HDF5 files start with the signature \x89HDF.
  std::ifstream in(path, std::ios::binary);
  char sig[4] = {};
  if (in.read(sig, 4) && sig[0] == '\x89' && sig[1] == 'H' && sig[2] == 'D' && sig[3] == 'F') return from_h5();
  return read_dataset_csv(path, options, report);
}

}  // namespace matopt
