// SPDX-License-Identifier: MIT
// libFuzzer target: see tests/fuzz/optimize_targets.hpp (fuzz_design_space_one) for what is checked.
#include <cstdio>
#include <cstdlib>

#include "fuzz/optimize_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem = matopt::fuzz::fuzz_design_space_one(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "fuzz_design_space: invariant broken: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
