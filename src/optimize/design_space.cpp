// SPDX-License-Identifier: MIT
#include "matopt/optimize/design_space.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "optimize/oracle_json.hpp"
#include "optimize/space_detail.hpp"

namespace matopt {

using json = nlohmann::ordered_json;  // keeps the user's key order (constraint terms, bounds)

namespace {

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw DataError("design space: " + (path.empty() ? std::string() : path + ": ") + message);
}

std::string type_name(const json& j) { return j.type_name(); }

double get_number(const json& j, const std::string& path) {
  if (!j.is_number()) fail(path, "expected a number, got " + std::string(type_name(j)) + " " + j.dump());
  return j.get<double>();
}

std::string get_string(const json& j, const std::string& path) {
  if (!j.is_string()) fail(path, "expected a string, got " + std::string(type_name(j)) + " " + j.dump());
  return j.get<std::string>();
}

bool get_bool(const json& j, const std::string& path) {
  if (!j.is_boolean()) fail(path, "expected true or false, got " + j.dump());
  return j.get<bool>();
}

std::pair<double, double> get_pair(const json& j, const std::string& path) {
  if (!j.is_array() || j.size() != 2) fail(path, "expected [min, max], got " + j.dump());
  return {get_number(j[0], path + "[0]"), get_number(j[1], path + "[1]")};
}

void check_keys(const json& obj, const std::string& path, std::initializer_list<const char*> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    std::string list;
    for (const char* a : allowed) {
      if (it.key() == a) ok = true;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    if (!ok) fail(path.empty() ? it.key() : path + "." + it.key(), "unknown field (expected one of: " + list + ")");
  }
}

std::string goal_name(Goal g) {
  switch (g) {
    case Goal::Maximize: return "maximize";
    case Goal::Minimize: return "minimize";
    case Goal::Target: return "target";
  }
  return "maximize";
}

std::string kind_name(ParameterKind k) {
  switch (k) {
    case ParameterKind::Continuous: return "continuous";
    case ParameterKind::Integer: return "integer";
    case ParameterKind::Categorical: return "categorical";
  }
  return "continuous";
}

CompositionBlock parse_composition(const json& j) {
  const std::string p = "composition";
  if (!j.is_object()) fail(p, "expected an object, got " + j.dump());
  check_keys(j, p, {"elements", "bounds", "max_components", "granularity", "required", "column"});
  CompositionBlock c;
  if (!j.contains("elements")) fail(p + ".elements", "missing (expected a list of element symbols)");
  const json& el = j["elements"];
  if (!el.is_array() || el.empty()) fail(p + ".elements", "expected a non-empty list of element symbols");
  for (std::size_t i = 0; i < el.size(); ++i) {
    std::string path = p + ".elements[" + std::to_string(i) + "]";
    std::string s = get_string(el[i], path);
    if (element_z(s) == 0) fail(path, "'" + s + "' is not an element symbol");
    for (const auto& e : c.elements)
      if (e.symbol == s) fail(path, "element '" + s + "' listed twice");
    c.elements.push_back({s, 0.0, 1.0, false});
  }
  auto find = [&](const std::string& s, const std::string& path) -> ElementBound& {
    for (auto& e : c.elements)
      if (e.symbol == s) return e;
    fail(path, "'" + s + "' is not in composition.elements");
  };
  if (j.contains("bounds")) {
    const json& b = j["bounds"];
    if (!b.is_object()) fail(p + ".bounds", "expected an object {\"El\": [min, max], ...}");
    for (auto it = b.begin(); it != b.end(); ++it) {
      std::string path = p + ".bounds." + it.key();
      auto [lo, hi] = get_pair(it.value(), path);
      ElementBound& e = find(it.key(), path);
      e.min = lo;
      e.max = hi;
    }
  }
  if (j.contains("required")) {
    const json& r = j["required"];
    if (!r.is_array()) fail(p + ".required", "expected a list of element symbols");
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string path = p + ".required[" + std::to_string(i) + "]";
      find(get_string(r[i], path), path).required = true;
    }
  }
  if (j.contains("max_components")) {
    const json& m = j["max_components"];
    if (!m.is_number_integer() || m.get<long long>() < 1)
      fail(p + ".max_components", "expected a positive integer, got " + m.dump());
    c.max_components = static_cast<int>(m.get<long long>());
  }
  if (j.contains("granularity")) c.granularity = get_number(j["granularity"], p + ".granularity");
  if (j.contains("column")) c.column = get_string(j["column"], p + ".column");
  return c;
}

ProcessParameter parse_param(const json& j, const std::string& p) {
  if (!j.is_object()) fail(p, "expected an object, got " + j.dump());
  check_keys(j, p, {"name", "type", "bounds", "log", "categories", "unit"});
  ProcessParameter q;
  if (!j.contains("name")) fail(p + ".name", "missing (expected the parameter name)");
  q.name = get_string(j["name"], p + ".name");
  std::string type = j.contains("type") ? get_string(j["type"], p + ".type") : "continuous";
  if (type == "continuous") q.kind = ParameterKind::Continuous;
  else if (type == "integer") q.kind = ParameterKind::Integer;
  else if (type == "categorical") q.kind = ParameterKind::Categorical;
  else fail(p + ".type", "expected \"continuous\", \"integer\" or \"categorical\", got \"" + type + "\"");
  if (q.kind == ParameterKind::Categorical) {
    if (!j.contains("categories")) fail(p + ".categories", "missing (expected a list of labels)");
    const json& c = j["categories"];
    if (!c.is_array() || c.empty()) fail(p + ".categories", "expected a non-empty list of labels");
    for (std::size_t i = 0; i < c.size(); ++i) q.categories.push_back(get_string(c[i], p + ".categories[" + std::to_string(i) + "]"));
    if (j.contains("bounds")) fail(p + ".bounds", "not allowed for a categorical parameter");
  } else {
    if (!j.contains("bounds")) fail(p + ".bounds", "missing (expected [lower, upper])");
    std::tie(q.lower, q.upper) = get_pair(j["bounds"], p + ".bounds");
    if (j.contains("categories")) fail(p + ".categories", "only allowed for a categorical parameter");
  }
  if (j.contains("log")) {
    q.log_scale = get_bool(j["log"], p + ".log");
    if (q.log_scale && q.kind != ParameterKind::Continuous) fail(p + ".log", "only continuous parameters can be log-scaled");
  }
  if (j.contains("unit")) q.unit = get_string(j["unit"], p + ".unit");
  return q;
}

std::string constraint_text(const LinearConstraint& c, bool negated) {
  std::string s;
  for (std::size_t i = 0; i < c.names.size(); ++i) {
    double a = negated ? -c.coefficients[i] : c.coefficients[i];
    std::string term = (std::abs(a) == 1.0 ? "" : fmt(std::abs(a)) + "*") + c.names[i];
    if (i == 0) s += (a < 0 ? "-" : "") + term;
    else s += (a < 0 ? " - " : " + ") + term;
  }
  return s + (negated ? " >= " + fmt(-c.upper) : " <= " + fmt(c.upper));
}

LinearConstraint parse_linear(const json& j, const std::string& p) {
  if (!j.is_object()) fail(p, "expected an object {\"terms\": {...}, \"<=\": value}");
  check_keys(j, p, {"terms", "<=", ">="});
  if (!j.contains("terms")) fail(p + ".terms", "missing (expected {\"name\": coefficient, ...})");
  const json& t = j["terms"];
  if (!t.is_object() || t.empty()) fail(p + ".terms", "expected a non-empty object {\"name\": coefficient, ...}");
  bool le = j.contains("<="), ge = j.contains(">=");
  if (le == ge) fail(p, "expected exactly one of \"<=\" or \">=\"");
  LinearConstraint c;
  double sign = le ? 1.0 : -1.0;
  for (auto it = t.begin(); it != t.end(); ++it) {
    c.names.push_back(it.key());
    c.coefficients.push_back(sign * get_number(it.value(), p + ".terms." + it.key()));
  }
  c.upper = sign * get_number(le ? j["<="] : j[">="], p + (le ? ".<=" : ".>="));
  c.text = constraint_text(c, !le);
  c.written_as_ge = !le;
  return c;
}

DescriptorConstraint parse_descriptor(const json& j, const std::string& p) {
  if (!j.is_object()) fail(p, "expected an object {\"descriptor\": name, \"min\": v, \"max\": v}");
  check_keys(j, p, {"descriptor", "min", "max"});
  if (!j.contains("descriptor")) fail(p + ".descriptor", "missing (expected an alloy descriptor name such as \"VEC\")");
  DescriptorConstraint c;
  c.descriptor = get_string(j["descriptor"], p + ".descriptor");
  if (!j.contains("min") && !j.contains("max")) fail(p, "expected \"min\", \"max\" or both");
  if (j.contains("min")) c.min = get_number(j["min"], p + ".min");
  if (j.contains("max")) c.max = get_number(j["max"], p + ".max");
  return c;
}

Objective parse_objective(const json& j, const std::string& p, std::map<std::string, std::string>& units) {
  if (!j.is_object()) fail(p, "expected an object {\"name\": ..., \"goal\": ...}");
  check_keys(j, p, {"name", "goal", "target", "range", "threshold", "unit"});
  Objective o;
  if (!j.contains("name")) fail(p + ".name", "missing (expected the result column name)");
  o.name = get_string(j["name"], p + ".name");
  std::string goal = j.contains("goal") ? get_string(j["goal"], p + ".goal") : "maximize";
  if (goal == "maximize" || goal == "max") o.goal = Goal::Maximize;
  else if (goal == "minimize" || goal == "min") o.goal = Goal::Minimize;
  else if (goal == "target") o.goal = Goal::Target;
  else fail(p + ".goal", "expected \"maximize\", \"minimize\" or \"target\", got \"" + goal + "\"");
  if (o.goal == Goal::Target) {
    bool has_t = j.contains("target"), has_r = j.contains("range");
    if (has_t == has_r) fail(p, "a target goal needs exactly one of \"target\": value or \"range\": [low, high]");
    if (has_t) o.target = get_number(j["target"], p + ".target");
    else {
      std::tie(o.target_low, o.target_high) = get_pair(j["range"], p + ".range");
      if (!(o.target_low <= o.target_high)) fail(p + ".range", "expected low <= high");
    }
  } else if (j.contains("target") || j.contains("range")) {
    fail(p + ".goal", "\"target\"/\"range\" need \"goal\": \"target\"");
  }
  if (j.contains("threshold")) {
    if (o.goal == Goal::Target)
      fail(p + ".threshold", "a target goal has no threshold (its value is the distance to the target); remove it");
    o.threshold = get_number(j["threshold"], p + ".threshold");
  }
  if (j.contains("unit")) units[o.name] = get_string(j["unit"], p + ".unit");
  return o;
}

OutcomeConstraint parse_outcome(const json& j, const std::string& p, std::map<std::string, std::string>& units) {
  if (!j.is_object()) fail(p, "expected an object {\"name\": ..., \"max\": ...}");
  check_keys(j, p, {"name", "min", "max", "unit"});
  OutcomeConstraint c;
  if (!j.contains("name")) fail(p + ".name", "missing (expected the result column name)");
  c.name = get_string(j["name"], p + ".name");
  if (!j.contains("min") && !j.contains("max")) fail(p, "expected \"min\" and/or \"max\"");
  if (j.contains("min")) c.lower = get_number(j["min"], p + ".min");
  if (j.contains("max")) c.upper = get_number(j["max"], p + ".max");
  if (!(c.lower <= c.upper)) fail(p, "min " + fmt(c.lower) + " is above max " + fmt(c.upper));
  if (j.contains("unit")) units[c.name] = get_string(j["unit"], p + ".unit");
  return c;
}

// Minimum of sum_i c_i x_i over {sum x = 1, lo <= x <= hi} (no cardinality): fill the cheapest
// coefficients first (fractional knapsack), exact for this LP.
double min_linear_on_simplex(std::vector<double> c, const std::vector<double>& lo, const std::vector<double>& hi) {
  std::size_t n = c.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return c[a] < c[b] || (c[a] == c[b] && a < b); });
  double value = 0.0, left = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    value += c[i] * lo[i];
    left -= lo[i];
  }
  for (std::size_t k : order) {
    double add = std::min(hi[k] - lo[k], std::max(left, 0.0));
    value += c[k] * add;
    left -= add;
  }
  return value;
}

}  // namespace

int DesignSpace::dimension() const noexcept { return num_elements() + num_process(); }

int DesignSpace::max_components() const noexcept {
  int n = num_elements();
  return spec_.composition.max_components > 0 ? std::min(spec_.composition.max_components, n) : n;
}

std::vector<std::string> DesignSpace::coordinate_names() const {
  std::vector<std::string> names;
  for (const auto& e : spec_.composition.elements) names.push_back(e.symbol);
  for (const auto& p : spec_.process) names.push_back(p.name);
  return names;
}

int DesignSpace::coordinate_index(const std::string& name) const {
  auto names = coordinate_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

DesignSpace::DesignSpace(DesignSpaceSpec spec) : spec_(std::move(spec)) {
  auto& comp = spec_.composition;
  const int ne = num_elements();
  if (ne == 0 && spec_.process.empty() && !spec_.pool)
    fail("", "empty space: give a composition block, process parameters or a candidate pool");
  std::set<std::string> seen;
  for (const auto& e : comp.elements) {
    if (!seen.insert(e.symbol).second) fail("composition.elements", "'" + e.symbol + "' listed twice");
    std::string path = "composition.bounds." + e.symbol;
    if (!(e.min >= 0.0 && e.max <= 1.0 && e.min <= e.max))
      fail(path, "expected 0 <= min <= max <= 1, got [" + fmt(e.min) + ", " + fmt(e.max) + "]");
    if (e.required && e.max <= 0.0) fail(path, "required element '" + e.symbol + "' has max 0");
  }
  for (const auto& p : spec_.process) {
    if (p.name.empty()) fail("process", "a parameter has an empty name");
    if (!seen.insert(p.name).second) fail("process." + p.name, "name '" + p.name + "' used twice (names must be unique across elements and parameters)");
    std::string path = "process." + p.name;
    if (p.kind == ParameterKind::Categorical) {
      if (p.categories.empty()) fail(path + ".categories", "expected at least one category");
      std::set<std::string> cats(p.categories.begin(), p.categories.end());
      if (cats.size() != p.categories.size()) fail(path + ".categories", "labels must be distinct");
    } else {
      if (!(std::isfinite(p.lower) && std::isfinite(p.upper) && p.lower <= p.upper))
        fail(path + ".bounds", "expected finite lower <= upper, got [" + fmt(p.lower) + ", " + fmt(p.upper) + "]");
      if (p.log_scale && !(p.lower > 0.0)) fail(path + ".log", "a log-scaled parameter needs lower > 0, got " + fmt(p.lower));
      if (p.kind == ParameterKind::Integer && std::floor(p.upper) < std::ceil(p.lower))
        fail(path + ".bounds", "no integer lies in [" + fmt(p.lower) + ", " + fmt(p.upper) + "]");
    }
  }

  if (ne > 0) {
    // Infeasibility checks, each with its explanation.
    if (comp.max_components < 0) fail("composition.max_components", "expected a positive integer");
    const int kmax = max_components();
    std::vector<const ElementBound*> req, opt;
    double req_min = 0.0;
    for (auto& e : comp.elements) {
      if (e.min > 0.0) e.required = true;  // a positive lower bound forces presence
      (e.required ? req : opt).push_back(&e);
      if (e.required) req_min += e.min;
    }
    if (static_cast<int>(req.size()) > kmax)
      fail("composition.max_components", "infeasible: " + std::to_string(req.size()) +
                                              " elements are required (listed in 'required' or with min > 0) but max_components is " +
                                              std::to_string(kmax));
    double min_sum = 0.0;
    for (auto& e : comp.elements) min_sum += e.min;
    if (min_sum > 1.0 + 1e-12)
      fail("composition.bounds", "infeasible: the minimum fractions sum to " + fmt(min_sum) + " > 1");
    // Largest reachable total with at most kmax elements: required ones plus the largest optional maxima.
    std::vector<double> opt_max;
    for (auto* e : opt) opt_max.push_back(e->max);
    std::sort(opt_max.rbegin(), opt_max.rend());
    double best = 0.0;
    for (auto* e : req) best += e->max;
    for (int i = 0; i < kmax - static_cast<int>(req.size()) && i < static_cast<int>(opt_max.size()); ++i) best += opt_max[i];
    if (best < 1.0 - 1e-12)
      fail("composition.bounds", "infeasible: the maximum fractions of at most " + std::to_string(kmax) +
                                     " elements sum to at most " + fmt(best) + " < 1, so no composition reaches 1");
    (void)req_min;
    if (comp.granularity != 0.0) {
      double g = comp.granularity;
      if (!(g > 0.0 && g <= 1.0)) fail("composition.granularity", "expected a step in (0, 1], got " + fmt(g));
      double units = 1.0 / g;
      if (std::abs(units - std::round(units)) > 1e-6 * units)
        fail("composition.granularity", "infeasible: 1/granularity = " + fmt(units) + " is not a whole number, so multiples of " + fmt(g) + " cannot sum to 1");
      int total = static_cast<int>(std::lround(units));
      int lo_sum = 0;
      std::vector<int> hi_units;
      int req_hi = 0;
      std::vector<int> opt_hi;
      for (const auto& e : comp.elements) {
        int lo = detail::lo_units(e, total), hi = detail::hi_units(e, total);
        if (lo > hi)
          fail("composition.bounds." + e.symbol, "infeasible with granularity " + fmt(g) + ": no " +
                                                     (e.required ? "positive " : "") + "multiple of " + fmt(g) + " lies in [" +
                                                     fmt(e.min) + ", " + fmt(e.max) + "]");
        lo_sum += lo;
        (e.required ? req_hi : opt_hi.emplace_back(0)) += hi;
      }
      if (lo_sum > total)
        fail("composition.bounds", "infeasible with granularity " + fmt(g) + ": the minimum fractions rounded up to the grid sum to " + fmt(lo_sum * g) + " > 1");
      std::sort(opt_hi.rbegin(), opt_hi.rend());
      int reach = req_hi;
      for (int i = 0; i < kmax - static_cast<int>(req.size()) && i < static_cast<int>(opt_hi.size()); ++i) reach += opt_hi[i];
      if (reach < total)
        fail("composition.bounds", "infeasible with granularity " + fmt(g) + ": the maximum fractions rounded down to the grid sum to at most " + fmt(reach * g) + " < 1");
    }
  }

  // Linear constraints: resolve names, then a cheap necessary check (minimum over the bounds).
  for (std::size_t ci = 0; ci < spec_.linear_constraints.size(); ++ci) {
    auto& c = spec_.linear_constraints[ci];
    std::string path = "linear_constraints[" + std::to_string(ci) + "]";
    if (c.names.size() != c.coefficients.size() || c.names.empty()) fail(path, "expected matching non-empty names and coefficients");
    if (c.text.empty()) c.text = constraint_text(c, c.written_as_ge);
    std::vector<std::pair<int, double>> terms;
    std::vector<double> ec(ne, 0.0);
    double process_min = 0.0;
    for (std::size_t i = 0; i < c.names.size(); ++i) {
      int idx = coordinate_index(c.names[i]);
      if (idx < 0) fail(path + ".terms." + c.names[i], "'" + c.names[i] + "' is neither a composition element nor a process parameter");
      if (!std::isfinite(c.coefficients[i])) fail(path + ".terms." + c.names[i], "expected a finite coefficient");
      if (idx >= ne) {
        const auto& p = spec_.process[idx - ne];
        if (p.kind == ParameterKind::Categorical)
          fail(path + ".terms." + c.names[i], "categorical parameter '" + p.name + "' cannot appear in a linear constraint");
        process_min += std::min(c.coefficients[i] * p.lower, c.coefficients[i] * p.upper);
      } else {
        ec[idx] += c.coefficients[i];
      }
      terms.emplace_back(idx, c.coefficients[i]);
    }
    double comp_min = 0.0;
    if (ne > 0) {
      std::vector<double> lo(ne), hi(ne);
      for (int i = 0; i < ne; ++i) {
        lo[i] = comp.elements[i].min;
        hi[i] = comp.elements[i].max;
      }
      comp_min = min_linear_on_simplex(ec, lo, hi);
    }
    if (comp_min + process_min > c.upper + 1e-9)
      fail(path, "infeasible: '" + c.text + "' cannot hold, its left side is at least " + fmt(comp_min + process_min) + " within the bounds");
    linear_terms_.push_back(std::move(terms));
  }

  // Outputs: objectives first, then constraint-only outputs.
  if (spec_.objectives.empty()) fail("objectives", "expected at least one objective");
  auto output_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < outputs_.size(); ++i)
      if (outputs_[i] == name) return static_cast<int>(i);
    outputs_.push_back(name);
    return static_cast<int>(outputs_.size() - 1);
  };
  std::set<std::string> objective_names;
  for (std::size_t i = 0; i < spec_.objectives.size(); ++i) {
    auto& o = spec_.objectives[i];
    if (o.name.empty()) fail("objectives[" + std::to_string(i) + "].name", "expected a result column name");
    if (!objective_names.insert(o.name).second) fail("objectives[" + std::to_string(i) + "].name", "objective '" + o.name + "' listed twice");
    if (o.goal == Goal::Target && std::isnan(o.target) && !(o.target_low <= o.target_high))
      fail("objectives[" + std::to_string(i) + "]", "a target goal needs a target value or a range low <= high");
    if (!std::isnan(o.threshold) && o.goal == Goal::Target)
      fail("objectives[" + std::to_string(i) + "].threshold", "a target goal has no threshold (its value is the distance to the target)");
    if (!std::isnan(o.threshold) && !std::isfinite(o.threshold))
      fail("objectives[" + std::to_string(i) + "].threshold", "expected a finite number");
    o.output = output_of(o.name);
  }
  for (std::size_t i = 0; i < spec_.outcome_constraints.size(); ++i) {
    auto& c = spec_.outcome_constraints[i];
    if (c.name.empty()) fail("output_constraints[" + std::to_string(i) + "].name", "expected a result column name");
    if (!(c.lower <= c.upper)) fail("output_constraints[" + std::to_string(i) + "]", "expected min <= max");
    c.output = output_of(c.name);
  }
  check_descriptor_constraints();
  check_oracles();
}

std::vector<Violation> DesignSpace::validate(const Eigen::VectorXd& point) const {
  std::vector<Violation> out;
  const int d = dimension();
  if (point.size() != d) {
    out.push_back({"point", "expected " + std::to_string(d) + " coordinates, got " + std::to_string(point.size())});
    return out;
  }
  for (int i = 0; i < d; ++i)
    if (!std::isfinite(point[i])) out.push_back({coordinate_names()[i], "not a finite number"});
  if (!out.empty()) return out;
  const auto& comp = spec_.composition;
  const int ne = num_elements();
  if (ne > 0) {
    double sum = 0.0;
    int nonzero = 0;
    const double g = comp.granularity;
    for (int i = 0; i < ne; ++i) {
      const auto& e = comp.elements[i];
      double x = point[i];
      sum += x;
      if (x != 0.0) ++nonzero;
      if (x < 0.0) out.push_back({e.symbol, "fraction " + fmt(x) + " is negative"});
      // An absent optional element (0) is allowed even when its range starts above 0 is impossible
      // (min > 0 makes it required), so bounds apply to every entry.
      if (x < e.min - 1e-9 || x > e.max + 1e-9)
        out.push_back({e.symbol, "fraction " + fmt(x) + " is outside [" + fmt(e.min) + ", " + fmt(e.max) + "]"});
      if (e.required && !(x > 0.0)) out.push_back({e.symbol, "required element is absent"});
      if (g > 0.0) {
        double k = x / g;
        if (std::abs(k - std::round(k)) > 1e-6) out.push_back({e.symbol, "fraction " + fmt(x) + " is not a multiple of the granularity " + fmt(g)});
      }
    }
    if (std::abs(sum - 1.0) > 1e-9) out.push_back({"composition", "fractions sum to " + fmt(sum) + ", expected 1 (within 1e-9)"});
    if (nonzero > max_components())
      out.push_back({"max_components", std::to_string(nonzero) + " non-zero fractions, at most " + std::to_string(max_components()) + " allowed"});
  }
  for (int j = 0; j < num_process(); ++j) {
    const auto& p = spec_.process[j];
    double v = point[ne + j];
    if (p.kind == ParameterKind::Categorical) {
      if (v != std::floor(v) || v < 0 || v >= static_cast<double>(p.categories.size()))
        out.push_back({p.name, "category index " + fmt(v) + " is not one of 0.." + std::to_string(p.categories.size() - 1)});
      continue;
    }
    if (p.kind == ParameterKind::Integer && v != std::floor(v)) out.push_back({p.name, "value " + fmt(v) + " is not a whole number"});
    if (v < p.lower || v > p.upper) out.push_back({p.name, "value " + fmt(v) + " is outside [" + fmt(p.lower) + ", " + fmt(p.upper) + "]"});
  }
  for (std::size_t c = 0; c < linear_terms_.size(); ++c) {
    double lhs = 0.0;
    for (auto [idx, a] : linear_terms_[c]) lhs += a * point[idx];
    double tol = 1e-9 * std::max(1.0, std::abs(spec_.linear_constraints[c].upper));
    if (lhs > spec_.linear_constraints[c].upper + tol)
    {
      const auto& lc = spec_.linear_constraints[c];
      const double shown = lc.written_as_ge ? -lhs : lhs;  // in the orientation the user wrote
      out.push_back({lc.text, "violated: the left side is " + fmt(shown) + ", limit " + fmt(lc.written_as_ge ? -lc.upper : lc.upper)});
    }
  }
  if (out.empty()) add_descriptor_violations(point, out);  // only for otherwise valid compositions
  return out;
}

std::string describe(const std::vector<Violation>& violations) {
  std::string s;
  for (const auto& v : violations) s += (s.empty() ? "" : "\n") + v.field + ": " + v.message;
  return s;
}

DesignSpace DesignSpace::from_json_text(const std::string& text, const std::filesystem::path& base_dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse errors, and numbers out of range such as 1e991
    throw DataError(std::string("design space: invalid JSON: ") + e.what());
  }
  if (!j.is_object()) fail("", "expected a JSON object at the top level");
  check_keys(j, "", {"composition", "process", "linear_constraints", "descriptor_constraints", "candidate_pool", "objectives",
                     "output_constraints", "oracles", "schema_version"});
  DesignSpaceSpec s;
  if (j.contains("schema_version")) {
    const json& v = j["schema_version"];
    if (!v.is_number_integer() || v.get<long long>() > 1) fail("schema_version", "expected 1, got " + v.dump());
  }
  if (j.contains("composition")) s.composition = parse_composition(j["composition"]);
  if (j.contains("process")) {
    const json& p = j["process"];
    if (!p.is_array()) fail("process", "expected a list of parameters");
    for (std::size_t i = 0; i < p.size(); ++i) s.process.push_back(parse_param(p[i], "process[" + std::to_string(i) + "]"));
  }
  if (j.contains("linear_constraints")) {
    const json& l = j["linear_constraints"];
    if (!l.is_array()) fail("linear_constraints", "expected a list of constraints");
    for (std::size_t i = 0; i < l.size(); ++i) s.linear_constraints.push_back(parse_linear(l[i], "linear_constraints[" + std::to_string(i) + "]"));
  }
  if (j.contains("descriptor_constraints")) {
    const json& l = j["descriptor_constraints"];
    if (!l.is_array()) fail("descriptor_constraints", "expected a list of {\"descriptor\": name, \"min\": v, \"max\": v}");
    for (std::size_t i = 0; i < l.size(); ++i)
      s.descriptor_constraints.push_back(parse_descriptor(l[i], "descriptor_constraints[" + std::to_string(i) + "]"));
  }
  if (j.contains("candidate_pool")) {
    const json& c = j["candidate_pool"];
    std::string path;
    if (c.is_string()) path = c.get<std::string>();
    else if (c.is_object()) {
      check_keys(c, "candidate_pool", {"file"});
      if (!c.contains("file")) fail("candidate_pool.file", "missing (expected a .csv or .h5 path)");
      path = get_string(c["file"], "candidate_pool.file");
    } else fail("candidate_pool", "expected a file path or {\"file\": path}");
    std::filesystem::path f(path);
    if (f.is_relative() && !base_dir.empty()) f = base_dir / f;
    s.pool = CandidatePool{f};
  }
  if (!j.contains("objectives")) fail("objectives", "missing (expected a list of objectives)");
  const json& o = j["objectives"];
  if (!o.is_array() || o.empty()) fail("objectives", "expected a non-empty list of objectives");
  for (std::size_t i = 0; i < o.size(); ++i) s.objectives.push_back(parse_objective(o[i], "objectives[" + std::to_string(i) + "]", s.units));
  if (j.contains("output_constraints")) {
    const json& c = j["output_constraints"];
    if (!c.is_array()) fail("output_constraints", "expected a list of constraints");
    for (std::size_t i = 0; i < c.size(); ++i) s.outcome_constraints.push_back(parse_outcome(c[i], "output_constraints[" + std::to_string(i) + "]", s.units));
  }
  if (j.contains("oracles")) s.oracles = detail::parse_oracles(j["oracles"], base_dir);
  return DesignSpace(std::move(s));
}

DesignSpace DesignSpace::from_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path.string() + ": cannot open the design-space file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return from_json_text(ss.str(), path.parent_path());
  } catch (const DataError& e) {
    throw DataError(path.string() + ": " + e.what());
  }
}

std::string DesignSpace::to_json_text() const {
  json j;
  j["schema_version"] = 1;
  const auto& comp = spec_.composition;
  if (!comp.elements.empty()) {
    json c;
    c["elements"] = json::array();
    json bounds = json::object();
    json req = json::array();
    for (const auto& e : comp.elements) {
      c["elements"].push_back(e.symbol);
      if (e.min != 0.0 || e.max != 1.0) bounds[e.symbol] = {e.min, e.max};
      if (e.required) req.push_back(e.symbol);
    }
    if (!bounds.empty()) c["bounds"] = bounds;
    if (!req.empty()) c["required"] = req;
    if (comp.max_components > 0) c["max_components"] = comp.max_components;
    if (comp.granularity > 0.0) c["granularity"] = comp.granularity;
    if (comp.column != "composition") c["column"] = comp.column;
    j["composition"] = c;
  }
  if (!spec_.process.empty()) {
    json p = json::array();
    for (const auto& q : spec_.process) {
      json x;
      x["name"] = q.name;
      x["type"] = kind_name(q.kind);
      if (q.kind == ParameterKind::Categorical) x["categories"] = q.categories;
      else x["bounds"] = {q.lower, q.upper};
      if (q.log_scale) x["log"] = true;
      if (!q.unit.empty()) x["unit"] = q.unit;
      p.push_back(x);
    }
    j["process"] = p;
  }
  if (!spec_.linear_constraints.empty()) {
    json l = json::array();
    for (const auto& c : spec_.linear_constraints) {
      const double sign = c.written_as_ge ? -1.0 : 1.0;
      json terms = json::object();
      for (std::size_t i = 0; i < c.names.size(); ++i) terms[c.names[i]] = sign * c.coefficients[i];
      l.push_back({{"terms", terms}, {c.written_as_ge ? ">=" : "<=", sign * c.upper}});
    }
    j["linear_constraints"] = l;
  }
  if (!spec_.descriptor_constraints.empty()) {
    json l = json::array();
    for (const auto& c : spec_.descriptor_constraints) {
      json x = {{"descriptor", c.descriptor}};
      if (std::isfinite(c.min)) x["min"] = c.min;
      if (std::isfinite(c.max)) x["max"] = c.max;
      l.push_back(x);
    }
    j["descriptor_constraints"] = l;
  }
  if (spec_.pool) j["candidate_pool"] = {{"file", spec_.pool->file.string()}};
  json o = json::array();
  for (const auto& obj : spec_.objectives) {
    json x;
    x["name"] = obj.name;
    x["goal"] = goal_name(obj.goal);
    if (obj.goal == Goal::Target) {
      if (!std::isnan(obj.target)) x["target"] = obj.target;
      else x["range"] = {obj.target_low, obj.target_high};
    }
    if (!std::isnan(obj.threshold)) x["threshold"] = obj.threshold;
    auto u = spec_.units.find(obj.name);
    if (u != spec_.units.end()) x["unit"] = u->second;
    o.push_back(x);
  }
  j["objectives"] = o;
  if (!spec_.outcome_constraints.empty()) {
    json c = json::array();
    for (const auto& oc : spec_.outcome_constraints) {
      json x;
      x["name"] = oc.name;
      if (std::isfinite(oc.lower)) x["min"] = oc.lower;
      if (std::isfinite(oc.upper)) x["max"] = oc.upper;
      auto u = spec_.units.find(oc.name);
      if (u != spec_.units.end()) x["unit"] = u->second;
      c.push_back(x);
    }
    j["output_constraints"] = c;
  }
  if (!spec_.oracles.empty()) j["oracles"] = detail::oracles_to_json(spec_.oracles);
  return j.dump(2);
}

std::string DesignSpace::formula_of(const Eigen::VectorXd& point, int digits) const {
  std::vector<std::pair<int, double>> amounts;
  const auto& els = spec_.composition.elements;
  for (std::size_t e = 0; e < els.size(); ++e) {
    const double x = point[static_cast<Eigen::Index>(e)];
    if (x > 0) amounts.emplace_back(element_z(els[e].symbol), x);
  }
  return amounts.empty() ? std::string() : Composition::from_amounts(amounts).formula(digits);
}

std::string DesignSpace::coordinate_text(int index, double value) const {
  const int ne = num_elements();
  if (index >= ne) {
    const auto& p = spec_.process[static_cast<std::size_t>(index - ne)];
    if (p.kind == ParameterKind::Categorical) {
      const long k = std::lround(value);
      return k >= 0 && k < static_cast<long>(p.categories.size()) ? p.categories[static_cast<std::size_t>(k)] : std::string();
    }
  }
  return format_double(value);
}

Dataset DesignSpace::to_dataset(const Eigen::MatrixXd& points) const {
  if (points.cols() != dimension())
    throw InvalidArgument("to_dataset: expected " + std::to_string(dimension()) + " columns, got " + std::to_string(points.cols()));
  Dataset d;
  const auto n = static_cast<std::size_t>(points.rows());
  const int ne = num_elements();
  for (std::size_t r = 0; r < n; ++r) d.ids.push_back(std::to_string(r + 1));
  if (ne > 0) {
    d.composition_column = spec_.composition.column;
    std::vector<std::pair<int, double>> amounts;
    for (std::size_t r = 0; r < n; ++r) {
      amounts.clear();
      for (int i = 0; i < ne; ++i)
        if (points(r, i) > 0.0) amounts.emplace_back(element_z(spec_.composition.elements[i].symbol), points(r, i));
      Composition c = Composition::from_amounts(amounts);
      d.formulas.push_back(c.formula());
      d.compositions.push_back(std::move(c));
    }
  }
  for (int j = 0; j < num_process(); ++j) {
    const auto& p = spec_.process[j];
    Column col;
    col.name = p.name;
    col.type = p.kind == ParameterKind::Continuous ? ColumnType::Continuous
               : p.kind == ParameterKind::Integer  ? ColumnType::Integer
                                                   : ColumnType::Categorical;
    col.categories = p.categories;
    col.values.resize(n);
    for (std::size_t r = 0; r < n; ++r) col.values[r] = points(r, ne + j);
    d.process.push_back(std::move(col));
  }
  return d;
}

Eigen::VectorXd DesignSpace::point_from_dataset(const Dataset& data, std::size_t row) const {
  const int ne = num_elements();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(dimension());
  const std::string where = "dataset row " + std::to_string(row + 2);  // header is row 1
  if (row >= data.rows()) throw InvalidArgument(where + ": out of range (" + std::to_string(data.rows()) + " rows)");
  if (ne > 0) {
    if (!data.has_composition() || row >= data.compositions.size())
      throw DataError(where + ": the dataset has no composition column (the design space has a composition block)");
    const Composition& c = data.compositions[row];
    auto zs = c.elements();
    auto fs = c.fractions();
    for (std::size_t k = 0; k < zs.size(); ++k) {
      int idx = -1;
      for (int i = 0; i < ne; ++i)
        if (element_z(spec_.composition.elements[i].symbol) == zs[k]) idx = i;
      if (idx < 0)
        throw DataError(format_location({"", row + 2, data.composition_column, c.formula()},
                                        "element " + std::string(element_symbol(zs[k])) + " is not in the design space's composition.elements"));
      x[idx] = fs[k];
    }
  }
  for (int j = 0; j < num_process(); ++j) {
    const auto& p = spec_.process[j];
    const Column* col = nullptr;
    for (const auto& cc : data.process)
      if (cc.name == p.name) col = &cc;
    if (!col)
      for (const auto& cc : data.targets)
        if (cc.name == p.name) col = &cc;
    if (!col) throw DataError(where + ": the dataset has no column '" + p.name + "' (process parameter)");
    double v = col->values.at(row);
    if (p.kind == ParameterKind::Categorical) {
      std::string label = col->text(row);
      auto it = std::find(p.categories.begin(), p.categories.end(), label);
      if (it == p.categories.end()) {
        std::string list;
        for (const auto& s : p.categories) list += (list.empty() ? "" : ", ") + s;
        throw DataError(format_location({"", row + 2, p.name, label}, "unknown category (expected one of: " + list + ")"));
      }
      v = static_cast<double>(it - p.categories.begin());
    } else if (std::isnan(v)) {
      throw DataError(format_location({"", row + 2, p.name, ""}, "missing value of process parameter"));
    }
    x[ne + j] = v;
  }
  return x;
}

Eigen::MatrixXd DesignSpace::points_from_dataset(const Dataset& data) const {
  Eigen::MatrixXd X(static_cast<Eigen::Index>(data.rows()), dimension());
  for (std::size_t r = 0; r < data.rows(); ++r) X.row(static_cast<Eigen::Index>(r)) = point_from_dataset(data, r).transpose();
  return X;
}

}  // namespace matopt
