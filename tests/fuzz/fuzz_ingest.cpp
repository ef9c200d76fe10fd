// SPDX-License-Identifier: MIT
// libFuzzer target: see tests/fuzz/campaign_targets.hpp (fuzz_ingest_one) for what is checked.
#include <cstdio>
#include <cstdlib>

#include "fuzz/campaign_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem = matopt::fuzz::fuzz_ingest_one(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "fuzz_ingest: invariant broken: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
