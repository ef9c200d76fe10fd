// SPDX-License-Identifier: MIT
#include "commands.hpp"

namespace matopt::cli {

void register_featurize_commands(CLI::App& app, Context& ctx) {
  // Filled in by the layer that owns these subcommands.
  (void)app;
  (void)ctx;
}

}  // namespace matopt::cli
