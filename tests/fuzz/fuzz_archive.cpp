// SPDX-License-Identifier: MIT
// libFuzzer target: see tests/fuzz/campaign_targets.hpp (fuzz_h5_one) for what is checked.
#include <cstdio>
#include <cstdlib>

#include "fuzz/campaign_targets.hpp"

// Inputs on which libhdf5 loops are parsed in a child process; kill it well before libFuzzer's -timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("MATOPT_HDF5_CHECK_TIMEOUT", "2", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem = matopt::fuzz::fuzz_h5_one(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "fuzz_archive: invariant broken: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
