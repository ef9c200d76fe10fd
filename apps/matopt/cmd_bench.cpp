// SPDX-License-Identifier: MIT
#include "commands.hpp"

namespace matopt::cli {

void register_bench_commands(CLI::App& app, Context& ctx) {
  auto* bench = app.add_subcommand("bench", "Benchmarks that print figures (speed, accuracy, sample efficiency)");
  bench->require_subcommand(1);
  register_bench_featurize(*bench, ctx);
  register_bench_matbench(*bench, ctx);
  register_bench_bo(*bench, ctx);
  register_bench_campaign(*bench, ctx);
}

}  // namespace matopt::cli
