// SPDX-License-Identifier: MIT
/// @file
/// @brief Seeded random numbers that give bit-identical streams on every platform.
///
/// std::normal_distribution and friends are implementation-defined, so matopt draws its own
/// uniforms and normals from a std::mt19937_64 (whose output sequence the standard fixes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace matopt {

using Rng = std::mt19937_64;

/// @brief Uniform double in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// @brief Uniform integer in [0, n). n must be > 0. Uses rejection, so it is unbiased.
std::uint64_t uniform_index(Rng& rng, std::uint64_t n);

/// @brief Standard normal draw (Marsaglia polar method; deterministic for a given Rng state).
double standard_normal(Rng& rng);

/// @brief k distinct indices of 0..n-1 drawn without replacement (a partial Fisher–Yates shuffle
/// from Rng(seed)), ascending; all n indices when k >= n.
std::vector<std::size_t> sample_indices(std::size_t n, std::size_t k, std::uint64_t seed);

/// @brief Derives an independent child seed from a parent seed and a stream index (SplitMix64),
/// so parallel or per-member streams do not depend on scheduling.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream);

}  // namespace matopt
