// SPDX-License-Identifier: MIT
/// @file
/// @brief Featurizing formula files too large for memory: read, featurize and write in chunks.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "matopt/core/composition.hpp"

namespace matopt {

/// @brief Options for featurize_csv_stream.
struct StreamFeaturizeOptions {
  std::string features = "magpie";  ///< featurizer spec; `fractions` needs `elements`
  bool impute_missing = true;
  bool strict_missing = false;      ///< `alloy`: missing element or pair data throws instead of NaN
  std::vector<int> elements;        ///< element list for `fractions` (atomic numbers)
  std::string composition_column;   ///< default: the first column
  std::string id_column;            ///< copied as the first output column; default: row numbers 1..n
  std::size_t chunk_rows = 16384;   ///< rows held in memory at once
  unsigned threads = 0;             ///< 0 = all hardware threads
  FormulaOptions formula;
};

/// @brief Reads a CSV of formulas and writes `id,<feature labels>` rows to `output` (CSV), holding at
/// most `chunk_rows` rows in memory. The output is written to a temporary file and renamed at the
/// end, so on any error (bad formula: DataError naming file, row, column and text) nothing is written.
/// @return number of data rows written.
std::size_t featurize_csv_stream(const std::filesystem::path& input, const std::filesystem::path& output,
                                 const StreamFeaturizeOptions& options = {});

/// @brief Formats a double as the shortest text that reads back bit-identically ("" for NaN), into
/// `buf` (at least 32 bytes); returns the number of characters written.
std::size_t format_feature_value(double value, char* buf) noexcept;

}  // namespace matopt
