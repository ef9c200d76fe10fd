// SPDX-License-Identifier: MIT
/// @file
/// @brief Chemical compositions: parsing formula strings into normalized atomic fractions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace matopt {

/// @brief How to read a formula string.
struct FormulaOptions {
  /// Alloy percent notation: "Fe-18Cr-8Ni" means 18 % Cr, 8 % Ni and Fe the balance.
  /// Off by default because "-" is otherwise an error.
  bool alloy_percent = false;
  /// With alloy_percent: the percentages are weight % (true) or atomic % (false).
  bool weight_percent = true;
};

/// @brief A composition: distinct elements (ascending Z) with atomic fractions summing to 1.
///
/// Accepted syntax: element symbols with optional amounts (integer, decimal, scientific: `Fe2O3`,
/// `Fe0.7Ni0.3`, `C1e-3Fe`), nested groups `(...)`, `[...]`, `{...}` with multipliers
/// (`Mg3[Fe(CN)6]2`), hydrate/adduct dots `·`, `.`, `*` followed by a multiplier (`CuSO4·5H2O`),
/// spaces between terms (`Pt1 C1`), repeated elements (`CH3COOH`), and the dictionary form
/// `{"Fe":0.7,"Ni":0.3}`. Everything else throws FormulaError with the position, token and reason.
class Composition {
 public:
  Composition() = default;

  /// @brief Parses a formula. Throws FormulaError.
  static Composition parse(std::string_view formula, const FormulaOptions& options = {});
  /// @brief Parses into an existing object, reusing its storage (the fast path for large files).
  static void parse_into(std::string_view formula, Composition& out, const FormulaOptions& options = {});
  /// @brief Builds from (Z, amount) pairs; amounts are normalized. Throws DataError on bad input.
  static Composition from_amounts(std::span<const std::pair<int, double>> amounts);

  std::size_t size() const noexcept { return z_.size(); }
  bool empty() const noexcept { return z_.empty(); }
  /// @brief Atomic numbers, ascending.
  std::span<const std::uint8_t> elements() const noexcept { return z_; }
  /// @brief Atomic fractions, aligned with elements(); they sum to 1.
  std::span<const double> fractions() const noexcept { return x_; }
  /// @brief Fraction of element z, 0 if absent.
  double fraction(int z) const noexcept;

  /// @brief Fractional formula in ascending-Z order with up to `digits` significant digits (15 keeps
  /// parse(formula()) within 1e-14 of the original fractions),
  /// e.g. "Ni0.3Fe0.7" is written "Fe0.7Ni0.3"; parse(formula()) reproduces the fractions.
  std::string formula(int digits = 15) const;
  /// @brief Integer formula when all amounts are close to small integer ratios ("Fe2O3"),
  /// otherwise the fractional formula.
  std::string reduced_formula() const;
  /// @brief Same elements and every fraction within `tolerance` (absolute).
  bool almost_equal(const Composition& other, double tolerance = 1e-9) const noexcept;

  friend bool operator==(const Composition&, const Composition&) = default;

 private:
  std::vector<std::uint8_t> z_;
  std::vector<double> x_;
  friend class CompositionBuilder;
};

}  // namespace matopt
