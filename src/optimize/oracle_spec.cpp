// SPDX-License-Identifier: MIT
// The "oracles" field of a design space: parsing, writing back and validation (docs/oracles.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string>

#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"
#include "optimize/oracle_json.hpp"

namespace matopt {

using json = nlohmann::ordered_json;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw DataError("design space: " + path + ": " + message);
}

std::string get_string(const json& j, const std::string& path) {
  if (!j.is_string()) fail(path, "expected a string, got " + std::string(j.type_name()) + " " + j.dump());
  return j.get<std::string>();
}

std::vector<std::string> get_strings(const json& j, const std::string& path, const std::string& what) {
  if (!j.is_array() || j.empty()) fail(path, "expected a non-empty list of " + what + ", got " + j.dump());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(get_string(j[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

OracleSpec parse_one(const json& j, const std::string& p, const std::filesystem::path& base_dir) {
  if (!j.is_object()) fail(p, "expected an object {\"name\": ..., \"command\": [...], \"outputs\": [...]}");
  static const std::set<std::string> allowed{"name", "command", "outputs", "timeout_s", "batch", "model_input", "working_dir"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key()))
      fail(p + "." + it.key(), "unknown field (expected one of: name, command, outputs, timeout_s, batch, model_input, working_dir)");
  OracleSpec o;
  if (!j.contains("name")) fail(p + ".name", "missing (expected a name for messages and the cache)");
  o.name = get_string(j["name"], p + ".name");
  if (!j.contains("command")) fail(p + ".command", "missing (expected the program and its arguments, e.g. [\"python3\", \"script.py\"])");
  o.command = get_strings(j["command"], p + ".command", "program and arguments (no shell string)");
  if (!j.contains("outputs")) fail(p + ".outputs", "missing (expected the output column names it writes)");
  o.outputs = get_strings(j["outputs"], p + ".outputs", "output names");
  if (j.contains("timeout_s")) {
    if (!j["timeout_s"].is_number()) fail(p + ".timeout_s", "expected a number of seconds, got " + j["timeout_s"].dump());
    o.timeout_s = j["timeout_s"].get<double>();
  }
  if (j.contains("batch")) {
    if (!j["batch"].is_number_integer()) fail(p + ".batch", "expected a whole number of candidates, got " + j["batch"].dump());
    const auto b = j["batch"].get<long long>();
    if (b < 1 || b > 1000000000) fail(p + ".batch", "expected at least 1, got " + std::to_string(b));
    o.batch = static_cast<int>(b);
  }
  if (j.contains("model_input")) {
    if (!j["model_input"].is_boolean()) fail(p + ".model_input", "expected true or false, got " + j["model_input"].dump());
    o.model_input = j["model_input"].get<bool>();
  }
  std::filesystem::path dir = j.contains("working_dir") ? std::filesystem::path(get_string(j["working_dir"], p + ".working_dir"))
                                                        : std::filesystem::path();
  // Resolved now, so a campaign that stores the space reruns the command in the same place.
  if (dir.is_relative()) dir = (base_dir.empty() ? std::filesystem::current_path() : base_dir) / dir;
  dir = std::filesystem::absolute(dir).lexically_normal();
  if (!dir.empty() && dir.filename().empty()) dir = dir.parent_path();  // "a/b/" -> "a/b"
  o.working_dir = dir;
  return o;
}

}  // namespace

namespace detail {

std::vector<OracleSpec> parse_oracles(const json& j, const std::filesystem::path& base_dir) {
  if (!j.is_array()) fail("oracles", "expected a list of {\"name\", \"command\", \"outputs\"} objects");
  std::vector<OracleSpec> out;
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(parse_one(j[i], "oracles[" + std::to_string(i) + "]", base_dir));
  return out;
}

json oracles_to_json(const std::vector<OracleSpec>& oracles) {
  json l = json::array();
  for (const auto& o : oracles) {
    json x;
    x["name"] = o.name;
    x["command"] = o.command;
    x["outputs"] = o.outputs;
    x["timeout_s"] = o.timeout_s;
    x["batch"] = o.batch;
    if (o.model_input) x["model_input"] = true;
    if (!o.working_dir.empty()) x["working_dir"] = o.working_dir.string();
    l.push_back(x);
  }
  return l;
}

}  // namespace detail

void DesignSpace::check_oracles() {
  std::set<std::string> names, outputs;
  for (std::size_t i = 0; i < spec_.oracles.size(); ++i) {
    const auto& o = spec_.oracles[i];
    const std::string p = "oracles[" + std::to_string(i) + "]";
    if (o.name.empty()) fail(p + ".name", "expected a non-empty name");
    for (char ch : o.name)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'))
        fail(p + ".name", "'" + o.name + "': expected letters, digits, '_', '-' or '.' (it names a group of the campaign file)");
    if (!names.insert(o.name).second) fail(p + ".name", "oracle '" + o.name + "' declared twice");
    if (o.command.empty() || o.command[0].empty()) fail(p + ".command", "expected a program name as the first element");
    if (!(o.timeout_s > 0) || !std::isfinite(o.timeout_s)) fail(p + ".timeout_s", "expected a finite number of seconds > 0");
    if (o.batch < 1) fail(p + ".batch", "expected at least 1");
    if (o.outputs.empty()) fail(p + ".outputs", "expected at least one output name");
    for (std::size_t k = 0; k < o.outputs.size(); ++k) {
      const std::string& out = o.outputs[k];
      const std::string pk = p + ".outputs[" + std::to_string(k) + "]";
      if (out.empty() || out == "row") fail(pk, "expected an output name other than '' and 'row'");
      if (!outputs.insert(out).second) fail(pk, "output '" + out + "' is computed by two oracles (or listed twice)");
      if (coordinate_index(out) >= 0) fail(pk, "output '" + out + "' has the name of a design coordinate");
      const bool used = std::find(outputs_.begin(), outputs_.end(), out) != outputs_.end();
      if (!used && !o.model_input)
        fail(pk, "output '" + out + "' of oracle '" + o.name +
                     "' is neither an objective, an output constraint nor a model input; use it in one of "
                     "\"objectives\"/\"output_constraints\", set \"model_input\": true, or remove it");
    }
  }
}

OracleColumn DesignSpace::oracle_source(const std::string& name) const {
  for (std::size_t i = 0; i < spec_.oracles.size(); ++i) {
    const auto& outs = spec_.oracles[i].outputs;
    for (std::size_t k = 0; k < outs.size(); ++k)
      if (outs[k] == name) return {static_cast<int>(i), static_cast<int>(k)};
  }
  return {};
}

std::vector<OracleColumn> DesignSpace::oracle_model_inputs() const {
  std::vector<OracleColumn> out;
  for (std::size_t i = 0; i < spec_.oracles.size(); ++i)
    if (spec_.oracles[i].model_input)
      for (std::size_t k = 0; k < spec_.oracles[i].outputs.size(); ++k) out.push_back({static_cast<int>(i), static_cast<int>(k)});
  return out;
}

}  // namespace matopt
