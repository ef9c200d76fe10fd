// SPDX-License-Identifier: MIT
#include "commands.hpp"

namespace matopt::cli {

void register_bench_featurize(CLI::App& bench, Context& ctx) {
  // Filled in by the layer that owns this benchmark.
  (void)bench;
  (void)ctx;
}

}  // namespace matopt::cli
