// SPDX-License-Identifier: MIT
/// @file
/// @brief Low-level CSV reading and writing (RFC 4180 quoting, CRLF, UTF-8 BOM).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace matopt {

/// @brief A parsed CSV table: header plus rows of cells. `line_of_row[i]` is the 1-based file line
/// where data row i starts (the header is line 1), for error messages.
struct CsvTable {
  std::string file;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> line_of_row;

  /// @brief Index of a header column; throws DataError naming the file and the available columns.
  std::size_t column(std::string_view name) const;
};

struct CsvLimits {
  std::size_t max_field_bytes = 1 << 20;  ///< longer cells are refused (absurd input)
  std::size_t max_columns = 100000;
  std::size_t max_record_bytes = 64u << 20;  ///< longer rows are refused (streaming reader)
  std::size_t stream_block_bytes = 4u << 20;  ///< read size of for_each_csv_row
};

/// @brief Reads a whole CSV file. Every row must have as many cells as the header.
CsvTable read_csv(const std::filesystem::path& path, const CsvLimits& limits = {});
/// @brief Parses CSV text (`name` is used in messages).
CsvTable parse_csv(std::string_view text, const std::string& name, const CsvLimits& limits = {});

/// @brief Streams a CSV file row by row in bounded memory (a block of `stream_block_bytes` plus
/// one row at a time). `on_row(cells, line)` returns false to stop.
void for_each_csv_row(const std::filesystem::path& path,
                      const std::function<void(const std::vector<std::string>& header)>& on_header,
                      const std::function<bool(const std::vector<std::string>& cells, std::size_t line)>& on_row,
                      const CsvLimits& limits = {});

/// @brief The cell without leading and trailing spaces and tabs (how matopt reads every cell and
/// header it matches by content: datasets, results files, oracle output).
std::string_view trim_blanks(std::string_view cell) noexcept;

/// @brief Quotes a cell if it holds a comma, quote, CR or LF.
std::string csv_escape(std::string_view cell);

/// @brief Writes header + rows atomically (temporary file in the same directory, then rename).
void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

/// @brief Shortest text that parses back to exactly the same double ("%.17g" trimmed); "" for NaN.
std::string format_double(double value);
/// @brief A number for people to read (terminal, HTML): 6 significant digits ("%.6g"), "-" for NaN.
/// Files keep format_double's round-trip precision.
std::string format_for_people(double value);
/// @brief Strict number parsing: whole cell must be a finite or infinite number; false otherwise.
bool parse_double(std::string_view text, double& out) noexcept;

}  // namespace matopt
