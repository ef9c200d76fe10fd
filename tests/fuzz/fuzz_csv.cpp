// SPDX-License-Identifier: MIT
// libFuzzer target: see tests/fuzz/core_targets.hpp (fuzz_csv_one) for what is checked.
#include <cstdio>
#include <cstdlib>

#include "fuzz/core_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem = matopt::fuzz::fuzz_csv_one(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "fuzz_csv: invariant broken: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
