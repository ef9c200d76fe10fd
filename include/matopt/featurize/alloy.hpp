// SPDX-License-Identifier: MIT
/// @file
/// @brief Alloy thermochemistry descriptors (the `alloy` featurizer): atomic size mismatch δ, mixing
/// enthalpy, ideal mixing entropy, Ω, VEC, Δχ, melting point mean and spread, and the Miedema formation
/// enthalpies of the intermetallic, solid-solution and amorphous phases. Definitions: docs/featurizers.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace matopt {

/// @brief Gas constant used for ΔS_mix, J/(mol K) (CODATA 2018, exact).
inline constexpr double kGasConstant = 8.314462618;

/// @brief The descriptors in output order: delta, dH_mix, dS_mix, omega, VEC, dchi, Tm_mean, Tm_std,
/// Miedema_deltaH_inter, Miedema_deltaH_ss_min, Miedema_deltaH_amor. These names are also the
/// `descriptor` values accepted by a design space's descriptor constraints.
const std::vector<std::string>& alloy_descriptor_names();

/// @brief Index of a descriptor in alloy_descriptor_names(), or -1 if `name` is not one.
int alloy_descriptor_index(std::string_view name) noexcept;

/// @brief Computes the 11 descriptors of the composition (elements `z`, distinct, any order; atomic
/// fractions `x`, summing to 1) into `out`. Missing data (an element without a radius, melting point,
/// electronegativity, valence or Miedema parameters; a pair without a Takeuchi–Inoue enthalpy) makes the
/// descriptors that need it NaN, or, with `strict`, throws DataError naming the element or pair and
/// `row` (1-based, 0 = unknown). Allocates nothing; thread-safe. Throws DataError if `z` is empty.
void alloy_descriptors(std::span<const std::uint8_t> z, std::span<const double> x, double* out, bool strict = false,
                       std::size_t row = 0);

}  // namespace matopt
