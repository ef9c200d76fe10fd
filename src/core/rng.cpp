// SPDX-License-Identifier: MIT
#include "matopt/core/rng.hpp"

#include <algorithm>
#include <cmath>

namespace matopt {

std::uint64_t uniform_index(Rng& rng, std::uint64_t n) {
  // Lemire-free simple rejection: discard the top partial bucket so every index is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
  std::uint64_t r;
  do {
    r = rng();
  } while (r > limit);
  return r % n;
}

double standard_normal(Rng& rng) {
  double u, v, s;
  do {
    u = 2.0 * uniform01(rng) - 1.0;
    v = 2.0 * uniform01(rng) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  // The second variate is discarded so the stream position depends only on the number of calls.
  return u * std::sqrt(-2.0 * std::log(s) / s);
}

std::vector<std::size_t> sample_indices(std::size_t n, std::size_t k, std::uint64_t seed) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  if (k >= n) return all;
  Rng rng(seed);
  for (std::size_t i = 0; i < k; ++i) std::swap(all[i], all[i + uniform_index(rng, n - i)]);
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace matopt
