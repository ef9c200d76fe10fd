// SPDX-License-Identifier: MIT
/// @file
/// @brief Entry points shared by the libFuzzer targets and the regression tests that replay the
/// committed corpora (tests/<layer>/fuzz_regression_test.cpp): one function per input class.
///
/// Contract checked on every input: the call either succeeds and its result satisfies the
/// documented invariants, or it throws a matopt::Error. Any other exception escapes (a bug: the
/// public API promises typed errors), and a broken invariant is returned as a non-empty description.
#pragma once

#include <algorithm>
#include <cmath>
#include <iterator>
#include <system_error>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/error.hpp"

namespace matopt::fuzz {

/// @brief A scratch directory private to this process (fuzzers run several processes at once).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "matopt-fuzz-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return std::filesystem::path(templ);
  }();
  return dir;
}

inline void write_bytes(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();  // the scratch disk is broken, not the code under test
}

/// @brief Files of a committed corpus directory, sorted (for the regression tests).
inline std::vector<std::filesystem::path> corpus_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// @brief Checks a parsed composition: ascending distinct Z in 1..118, finite positive fractions
/// summing to 1, and a fractional formula that parses back to the same fractions.
inline std::string check_composition(const Composition& c) {
  const auto z = c.elements();
  const auto x = c.fractions();
  if (z.size() != x.size()) return "elements/fractions size mismatch";
  if (z.empty()) return {};
  double sum = 0.0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (z[i] < 1 || z[i] > 118) return "atomic number out of range: " + std::to_string(z[i]);
    if (i > 0 && z[i] <= z[i - 1]) return "elements not strictly ascending";
    if (!std::isfinite(x[i]) || x[i] <= 0.0) return "fraction not finite and positive";
    sum += x[i];
  }
  if (std::abs(sum - 1.0) > 1e-9) return "fractions sum to " + std::to_string(sum);
  const std::string text = c.formula();
  Composition back;
  try {
    back = Composition::parse(text);
  } catch (const Error& e) {
    return "formula() output '" + text + "' does not parse: " + e.what();
  }
  if (!back.almost_equal(c, 1e-9)) return "formula() round trip changed fractions: " + text;
  return {};
}

/// @brief Formula parser. The first byte picks the options, the rest is the formula.
inline std::string fuzz_formula_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {};
  FormulaOptions options;
  options.alloy_percent = (data[0] & 1) != 0;
  options.weight_percent = (data[0] & 2) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  Composition c;
  try {
    c = Composition::parse(text, options);
  } catch (const Error&) {
    return {};
  }
  if (std::string err = check_composition(c); !err.empty()) return err;
  // parse_into reuses storage; it must give exactly what parse gives.
  Composition reused = Composition::parse("H2O");
  Composition::parse_into(text, reused, options);
  if (!(reused == c)) return "parse_into differs from parse";
  return {};
}

/// @brief CSV reader: parse_csv on the text, the streaming reader on the same bytes written to a file
/// (it must agree with parse_csv whenever parse_csv accepts), and the Dataset import.
inline std::string fuzz_csv_one(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CsvLimits limits;
  limits.max_field_bytes = 4096;  // small limits so the fuzzer reaches the refusal paths
  limits.max_columns = 64;
  const auto path = scratch_dir() / "input.csv";
  write_bytes(path, data, size);

  bool parsed = false;
  CsvTable table;
  try {
    table = parse_csv(text, "input.csv", limits);
    parsed = true;
  } catch (const Error&) {
  }
  if (parsed) {
    if (table.rows.size() != table.line_of_row.size()) return "line_of_row size differs from rows";
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
      if (table.rows[i].size() != table.header.size()) return "row width differs from header";
      if (table.line_of_row[i] < 2) return "data row on line < 2";
      if (i > 0 && table.line_of_row[i] <= table.line_of_row[i - 1]) return "line numbers not increasing";
    }
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    try {
      for_each_csv_row(
          path, [&](const std::vector<std::string>& h) { header = h; },
          [&](const std::vector<std::string>& cells, std::size_t) {
            rows.push_back(cells);
            return true;
          },
          limits);
    } catch (const Error& e) {
      return std::string("streaming reader rejects what parse_csv accepts: ") + e.what();
    }
    if (header != table.header) return "streaming reader header differs from parse_csv";
    if (rows != table.rows) return "streaming reader rows differ from parse_csv";
  }

  // The default paths (no column named), with and without a composition column: an import either
  // accounts for every column of the table (a role, or a reason it was left out) or is refused.
  for (const bool no_composition : {false, true}) {
    try {
      CsvImportOptions options;
      options.no_composition = no_composition;
      const CsvTable csv = read_csv(path);
      ImportReport report;
      const Dataset d = read_dataset_table(csv, options, &report);
      d.validate();
      if (d.has_composition()) {
        if (d.compositions.size() != d.rows()) return "compositions size differs from rows";
        for (const auto& c : d.compositions)
          if (std::string err = check_composition(c); !err.empty()) return "dataset composition: " + err;
      }
      std::size_t accounted = report.not_imported.size() + d.process.size() + d.targets.size() +
                              (d.has_composition() ? 1 : 0) + (d.id_column.empty() ? 0 : 1);
      if (accounted != csv.header.size()) return "an import left a column unaccounted for";
    } catch (const Error&) {
    }
  }
  return {};
}

/// @brief Core part of opening a corrupted HDF5 file: the generic archive reader (several formats) and
/// the dataset reader. The input is the whole file.
inline std::string fuzz_h5_core_one(const std::filesystem::path& path) {
  for (const char* format : {"matopt-dataset", "matopt-campaign"}) {
    try {
      const Archive a = load_archive(path, format, 1);
      (void)a.child_names();
    } catch (const Error&) {
    }
  }
  try {
    const Dataset d = read_dataset_h5(path);
    d.validate();
  } catch (const Error&) {
  }
  return {};
}

}  // namespace matopt::fuzz
