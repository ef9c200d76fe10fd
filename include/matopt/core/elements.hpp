// SPDX-License-Identifier: MIT
/// @file
/// @brief Periodic table (Z = 1..118): symbols, names, and elemental property tables (Magpie data).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace matopt {

inline constexpr int kMaxZ = 118;

/// @brief Atomic number of an element symbol ("Fe" -> 26); 0 if the symbol is not an element.
/// Case-sensitive, as chemical formulas are. Does not need the property tables.
int element_z(std::string_view symbol) noexcept;

/// @brief Symbol of atomic number z (1..118); throws InvalidArgument otherwise.
std::string_view element_symbol(int z);

/// @brief English name of atomic number z (1..118); throws InvalidArgument otherwise.
std::string_view element_name(int z);

/// @brief Directory holding matopt's run-time data (element tables, ...). Resolution order:
/// $MATOPT_DATA_DIR; `<dir of libmatopt>/../share/matopt/data` (installed layout); the source tree's
/// data/ (build tree). Throws IOError listing the places tried when none holds `elements/`.
std::filesystem::path data_dir();

/// @brief Elemental property tables, loaded from `<data_dir>/elements/magpie/<Property>.table`.
///
/// Values are stored per property as a column indexed by Z (index 0 unused). Missing values are NaN.
/// The imputation value of a property is its mean over the elements Z = 1..118 that have a value
/// (matminer's `impute_nan=True` policy); featurizers choose whether to use it.
class ElementTable {
 public:
  /// @brief The process-wide table from data_dir(), loaded once on first use (thread-safe).
  static const ElementTable& instance();
  /// @brief Loads every scalar `*.table` file in `<dir>/elements/magpie/`.
  static ElementTable load(const std::filesystem::path& dir);

  /// @brief Names of the loaded properties, sorted.
  const std::vector<std::string>& property_names() const noexcept { return names_; }
  /// @brief Index of a property; throws InvalidArgument naming the valid properties if unknown.
  int property_index(std::string_view name) const;
  /// @brief Value for element z (NaN if missing).
  double value(int property, int z) const { return columns_[property][z]; }
  /// @brief Whole column: size kMaxZ + 1, entry 0 is NaN.
  std::span<const double> column(int property) const { return columns_[property]; }
  /// @brief Mean over Z = 1..118 of the non-missing values.
  double impute_value(int property) const { return impute_[property]; }

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<double>> columns_;
  std::vector<double> impute_;
};

}  // namespace matopt
