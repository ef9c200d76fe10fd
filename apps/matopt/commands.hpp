// SPDX-License-Identifier: MIT
// CLI wiring: each cmd_*.cpp adds its subcommands to the app. The library does the work.
#pragma once

#include <CLI/CLI.hpp>

#include "matopt/core/dataset.hpp"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace matopt::cli {

/// Shared across subcommands; filled by main before any callback runs.
struct Context {
  std::vector<std::string> argv;  ///< the full command line, for campaign history
};

/// Exit codes: 0 ok, 1 usage error, 2 data/runtime error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitData = 2;

/// The table options shared by import, train and featurize (empty strings mean "not given").
inline CsvImportOptions csv_import_options(const std::string& composition, const std::string& id,
                                           const std::vector<std::string>& targets,
                                           const std::vector<std::string>& process, bool no_composition) {
  CsvImportOptions o;
  if (!composition.empty()) o.composition = composition;
  if (!id.empty()) o.id = id;
  o.targets = targets;
  o.process = process;
  o.no_composition = no_composition;
  return o;
}

/// Prints what an import guessed (the composition column, the targets) and every column it left
/// out, one line each on stderr: shown without -v, because a wrong guess must not pass unseen.
inline void print_import_report(const char* command, const ImportReport& report, const Dataset& data) {
  if (report.targets_guessed || report.composition_guessed) std::fprintf(stderr, "%s: %s\n", command, report.summary(data).c_str());
  for (const auto& [name, why] : report.not_imported)
    std::fprintf(stderr, "%s: column '%s' not imported: %s\n", command, name.c_str(), why.c_str());
}

void register_data_commands(CLI::App& app, Context& ctx);       // import, info, export
void register_featurize_commands(CLI::App& app, Context& ctx);  // featurize
void register_model_commands(CLI::App& app, Context& ctx);      // train, predict
void register_campaign_commands(CLI::App& app, Context& ctx);   // init, propose, ingest, status, report
void register_bench_commands(CLI::App& app, Context& ctx);      // bench (parent of the four below)
void register_screen_command(CLI::App& app, Context& ctx);      // screen (cmd_screen.cpp)
void register_evaluate_command(CLI::App& app, Context& ctx);    // evaluate (cmd_evaluate.cpp)
void register_explain_command(CLI::App& app, Context& ctx);     // explain (cmd_explain.cpp)

// `matopt bench <name>`: each adds one subcommand to the `bench` parent.
void register_bench_featurize(CLI::App& bench, Context& ctx);   // cmd_bench_featurize.cpp
void register_bench_matbench(CLI::App& bench, Context& ctx);    // cmd_bench_matbench.cpp
void register_bench_bo(CLI::App& bench, Context& ctx);          // cmd_bench_bo.cpp
void register_bench_campaign(CLI::App& bench, Context& ctx);    // cmd_bench_campaign.cpp

}  // namespace matopt::cli
