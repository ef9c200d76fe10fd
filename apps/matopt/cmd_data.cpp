// SPDX-License-Identifier: MIT
// `matopt import`, `matopt info`, `matopt export`: CLI wiring over core/dataset.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt::cli {

namespace {

struct ImportArgs {
  std::string input, output, composition, id;
  std::vector<std::string> targets, process;
  bool no_composition = false, alloy_percent = false, atomic_percent = false;
};

struct InfoArgs {
  std::string input;
  bool json = false;
};

struct ExportArgs {
  std::string input, output;
};

bool is_h5(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e == ".h5" || e == ".hdf5";
}

void run_import(const ImportArgs& a) {
  CsvImportOptions o = csv_import_options(a.composition, a.id, a.targets, a.process, a.no_composition);
  o.formula.alloy_percent = a.alloy_percent;
  o.formula.weight_percent = !a.atomic_percent;
  if (!is_h5(a.output)) throw InvalidArgument("output '" + a.output + "' must end in .h5 or .hdf5");
  ImportReport report;
  const Dataset d = read_dataset_csv(a.input, o, &report);
  print_import_report("import", report, d);
  write_dataset_h5(d, a.output);
  log_info("wrote " + a.output);
}

struct Stats {
  std::size_t count = 0, missing = 0;
  double min = NAN, mean = NAN, max = NAN;
};

Stats stats_of(const Column& c) {
  Stats s;
  double sum = 0;
  for (double v : c.values) {
    if (std::isnan(v)) {
      ++s.missing;
      continue;
    }
    if (s.count == 0) s.min = s.max = v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    sum += v;
    ++s.count;
  }
  if (s.count > 0) s.mean = sum / static_cast<double>(s.count);
  return s;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

void run_info(const InfoArgs& a) {
  CsvImportOptions o;
  o.require_composition = false;  // info shows what an import would find, composition or not
  ImportReport report;
  const Dataset d = read_dataset(a.input, o, &report);
  print_import_report("info", report, d);
  std::vector<std::size_t> rows_with(kMaxZ + 1, 0);
  for (const auto& c : d.compositions)
    for (auto z : c.elements()) ++rows_with[z];
  const auto elems = d.elements();

  nlohmann::json j;
  j["file"] = a.input;
  j["rows"] = d.rows();
  nlohmann::json cols = nlohmann::json::array();
  if (!d.id_column.empty()) cols.push_back({{"name", d.id_column}, {"role", "id"}, {"type", "string"}});
  if (d.has_composition()) cols.push_back({{"name", d.composition_column}, {"role", "composition"}, {"type", "composition"}});
  auto describe = [](const Column& c, const char* role) {
    nlohmann::json cj = {{"name", c.name}, {"role", role}, {"type", std::string(to_string(c.type))}};
    const Stats s = stats_of(c);
    cj["count"] = s.count;
    cj["missing"] = s.missing;
    if (c.type == ColumnType::Categorical) {
      cj["categories"] = c.categories;
    } else {
      cj["min"] = number_or_null(s.min);
      cj["mean"] = number_or_null(s.mean);
      cj["max"] = number_or_null(s.max);
    }
    return cj;
  };
  nlohmann::json targets = nlohmann::json::array(), process = nlohmann::json::array();
  for (const auto& c : d.process) {
    process.push_back(describe(c, "process"));
    cols.push_back(process.back());
  }
  for (const auto& c : d.targets) {
    targets.push_back(describe(c, "target"));
    cols.push_back(targets.back());
  }
  j["columns"] = cols;
  j["composition_column"] = d.has_composition() ? nlohmann::json(d.composition_column) : nlohmann::json(nullptr);
  j["process"] = process;
  j["targets"] = targets;
  nlohmann::json ej = nlohmann::json::array();
  for (int z : elems) ej.push_back({{"symbol", std::string(element_symbol(z))}, {"z", z}, {"rows", rows_with[z]}});
  j["elements"] = ej;
  j["n_elements"] = elems.size();

  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s: %zu rows, %zu columns\n", a.input.c_str(), d.rows(), cols.size());
  if (d.has_composition()) std::printf("composition: '%s'\n", d.composition_column.c_str());
  if (!d.id_column.empty()) std::printf("id: '%s'\n", d.id_column.c_str());
  auto print_cols = [](const char* title, const nlohmann::json& arr) {
    if (arr.empty()) return;
    std::printf("%s:\n", title);
    for (const auto& c : arr) {
      std::printf("  %-24s %-11s n=%zu", c["name"].get<std::string>().c_str(), c["type"].get<std::string>().c_str(),
                  c["count"].get<std::size_t>());
      if (c.contains("min") && !c["min"].is_null())
        std::printf("  min=%.6g mean=%.6g max=%.6g", c["min"].get<double>(), c["mean"].get<double>(), c["max"].get<double>());
      if (c.contains("categories")) std::printf("  %zu categories", c["categories"].size());
      if (c["missing"].get<std::size_t>() > 0) std::printf("  missing=%zu", c["missing"].get<std::size_t>());
      std::printf("\n");
    }
  };
  print_cols("process", process);
  print_cols("targets", targets);
  if (!elems.empty()) {
    std::printf("elements (%zu):", elems.size());
    for (int z : elems) std::printf(" %s(%zu)", std::string(element_symbol(z)).c_str(), rows_with[z]);
    std::printf("\n");
  }
}

void run_export(const ExportArgs& a) {
  const Dataset d = read_dataset(a.input);
  if (is_h5(a.output)) write_dataset_h5(d, a.output);
  else write_dataset_csv(d, a.output);
  log_info("wrote " + a.output);
}

}  // namespace

void register_data_commands(CLI::App& app, Context& ctx) {
  (void)ctx;
  {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand("import", "Import a CSV table into a matopt dataset (.h5)");
    cmd->add_option("CSV", a->input, "Input CSV file (header row; UTF-8, optional BOM, CRLF ok)")->required();
    cmd->add_option("-o,--output", a->output, "Output dataset (.h5)")->required();
    cmd->add_option("--composition", a->composition,
                    "Composition (formula) column (default: detected: the first column named like one, e.g. formula or composition, else the first text column mostly of formulas; none found is an error unless --no-composition)");
    cmd->add_option("--target", a->targets,
                    "Target column; repeat for several (default: every remaining numeric/boolean column)");
    cmd->add_option("--process", a->process, "Process/condition column (type inferred); repeat for several");
    cmd->add_option("--id", a->id, "Row id column (default: row numbers 1..n)");
    cmd->add_flag("--no-composition", a->no_composition, "The table has no composition column");
    cmd->add_flag("--alloy-percent", a->alloy_percent, "Formulas use alloy notation such as Fe-18Cr-8Ni (weight %)");
    cmd->add_flag("--atomic-percent", a->atomic_percent, "With --alloy-percent: the percentages are atomic %");
    cmd->callback([a] { run_import(*a); });
  }
  {
    auto a = std::make_shared<InfoArgs>();
    auto* cmd = app.add_subcommand("info", "Summarize a dataset (.h5 or .csv): rows, columns, targets, elements");
    cmd->add_option("FILE", a->input, "Dataset (.h5) or CSV file")->required();
    cmd->add_flag("--json", a->json, "Print JSON instead of text");
    cmd->callback([a] { run_info(*a); });
  }
  {
    auto a = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand("export", "Write a dataset as CSV (or .h5)");
    cmd->add_option("FILE", a->input, "Dataset (.h5) or CSV file")->required();
    cmd->add_option("-o,--output", a->output, "Output file (.csv, or .h5)")->required();
    cmd->callback([a] { run_export(*a); });
  }
}

}  // namespace matopt::cli
