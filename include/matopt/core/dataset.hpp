// SPDX-License-Identifier: MIT
/// @file
/// @brief Dataset: rows of materials with an optional composition column, process/condition columns
/// and target columns; CSV and HDF5 import/export.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "matopt/core/composition.hpp"
#include "matopt/core/csv.hpp"

namespace matopt {

enum class ColumnType {
  Continuous,   ///< real numbers
  Integer,      ///< whole numbers (stored as double)
  Categorical,  ///< labels; values hold the category index
  Boolean,      ///< 0/1 (classification targets)
};

/// @brief "continuous", "integer", "categorical", "boolean".
std::string_view to_string(ColumnType type) noexcept;
/// @brief Inverse of to_string; throws InvalidArgument listing the valid names.
ColumnType column_type_from_string(std::string_view name);

/// @brief One named column. Missing cells are NaN in `values`.
struct Column {
  std::string name;
  ColumnType type = ColumnType::Continuous;
  std::vector<double> values;            ///< numbers, 0/1 for booleans, category index for categoricals
  std::vector<std::string> categories;   ///< Categorical only: index -> label

  /// @brief Label of row i for categoricals, the number as text otherwise ("" if missing).
  std::string text(std::size_t row) const;
};

/// @brief A table of materials. Column names are kept exactly as given (they may contain spaces).
struct Dataset {
  std::vector<std::string> ids;               ///< row ids (from an id column, else "1".."n")
  std::string id_column;                      ///< name of the id column; empty when ids are "1".."n"
  std::string composition_column;             ///< name of the composition column; empty if none
  std::vector<Composition> compositions;      ///< one per row when composition_column is set
  std::vector<std::string> formulas;          ///< original formula text, one per row (may be empty)
  std::vector<Column> process;                ///< process / condition columns
  std::vector<Column> targets;                ///< target columns

  std::size_t rows() const noexcept { return ids.size(); }
  bool has_composition() const noexcept { return !composition_column.empty(); }

  /// @brief Target column by name; throws InvalidArgument listing the target names.
  const Column& target(std::string_view name) const;
  /// @brief Process column by name; throws InvalidArgument listing the process names.
  const Column& process_column(std::string_view name) const;
  /// @brief Target values as a vector (NaN where missing).
  Eigen::VectorXd target_vector(std::string_view name) const;
  /// @brief Rows picked by index, in the given order.
  Dataset subset(std::span<const std::size_t> rows) const;
  /// @brief Distinct elements present in any composition, ascending Z.
  std::vector<int> elements() const;
  /// @brief Checks column lengths and types; throws DataError naming the column.
  void validate() const;
};

/// @brief How to turn a CSV into a Dataset.
///
/// Without `composition` and `no_composition`, the composition column is detected (docs/file-formats.md):
/// the first column named like one (composition, formula, formula_pretty, comp, … in any case), else
/// the first text column of which more than half the cells parse as formulas. A detected column is
/// the composition column: a cell that does not parse is a DataError naming its row and token. No
/// such column: a DataError with the column list, unless `require_composition` is false.
struct CsvImportOptions {
  std::optional<std::string> composition;  ///< composition column; default: detected (above)
  std::vector<std::string> targets;        ///< default: every remaining numeric/boolean column
  std::vector<std::string> process;        ///< process columns (types inferred)
  std::optional<std::string> id;           ///< id column
  bool no_composition = false;             ///< the table has no composition column
  bool require_composition = true;         ///< no column detected (and no no_composition): a DataError
  FormulaOptions formula;
};

/// @brief What an import guessed and what it left out, for the caller to show (the CLI prints it).
struct ImportReport {
  /// How the composition column was found: "given", "named like a composition", "N of M cells parse
  /// as formulas", or "" (none).
  std::string composition_reason;
  bool composition_guessed = false;  ///< no column was named and none was refused: the import looked for one
  bool targets_guessed = false;  ///< the targets are every remaining numeric/boolean column
  /// Columns of the table that are in no role, with the reason ("text: ...", "empty", "not named ...").
  std::vector<std::pair<std::string, std::string>> not_imported;

  /// @brief One line: "composition column: 'formula' (named like a composition); targets: 'y';
  /// process columns: 'T' (continuous)".
  std::string summary(const Dataset& data) const;
};

/// @brief True when `name` (trimmed, any case, '-'/' ' read as '_') is one a composition column goes by.
bool is_composition_column_name(std::string_view name);

/// @brief Reads a CSV file into a Dataset. Throws DataError with file, row, column and text.
Dataset read_dataset_csv(const std::filesystem::path& path, const CsvImportOptions& options = {},
                         ImportReport* report = nullptr);
/// @brief Same import from a table already in memory (header + rows of cell text, e.g. a DataFrame);
/// `table.file` names it in messages. read_dataset_csv reads the file and calls this.
Dataset read_dataset_table(const CsvTable& table, const CsvImportOptions& options = {},
                           ImportReport* report = nullptr);
/// @brief Writes a Dataset as CSV (atomically: temporary file + rename).
void write_dataset_csv(const Dataset& data, const std::filesystem::path& path);

/// @brief Writes a Dataset to HDF5 (format "matopt-dataset", documented in docs/file-formats.md), atomically.
void write_dataset_h5(const Dataset& data, const std::filesystem::path& path);
/// @brief Reads a Dataset written by write_dataset_h5. Throws IOError on a foreign/corrupt/newer file.
Dataset read_dataset_h5(const std::filesystem::path& path);

/// @brief Reads .csv or .h5/.hdf5 by extension.
/// An .h5 file's report says "stored in the file" for its composition column.
Dataset read_dataset(const std::filesystem::path& path, const CsvImportOptions& options = {},
                     ImportReport* report = nullptr);

}  // namespace matopt
