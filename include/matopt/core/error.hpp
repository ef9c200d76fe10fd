// SPDX-License-Identifier: MIT
/// @file
/// @brief The matopt exception hierarchy. Every error the library throws derives from matopt::Error.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace matopt {

/// @brief Base class of every exception thrown by matopt.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief A caller passed an invalid option or argument (bad name, out-of-range value, ...).
/// The CLI maps this to exit code 1 (usage error).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// @brief Input data is malformed: a bad cell, a bad formula, a wrong column type.
/// The CLI maps this (and every other Error) to exit code 2.
class DataError : public Error {
 public:
  using Error::Error;
};

/// @brief A chemical formula could not be parsed. `position()` is the 0-based byte offset of the
/// offending token within the formula.
class FormulaError : public DataError {
 public:
  FormulaError(const std::string& formula, std::size_t position, const std::string& token,
               const std::string& reason);
  const std::string& formula() const noexcept { return formula_; }
  std::size_t position() const noexcept { return position_; }
  const std::string& token() const noexcept { return token_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string formula_, token_, reason_;
  std::size_t position_;
};

/// @brief File-system or HDF5 failure (missing file, permission, corrupt or foreign file, wrong version).
class IOError : public Error {
 public:
  using Error::Error;
};

/// @brief A numerical procedure failed (e.g. a covariance matrix stayed indefinite after jitter).
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// @brief An optional backend (the libtorch plugin) is missing or failed.
class BackendError : public Error {
 public:
  using Error::Error;
};

/// @brief Where in a tabular input a problem is. Rows are 1-based as a spreadsheet shows them
/// (the header is row 1, the first data row is row 2); 0 means "not applicable".
struct Location {
  std::string file;
  std::size_t row = 0;
  std::string column;
  std::string value;
};

/// @brief Formats "FILE: row R, column 'C': MESSAGE (got 'V')", leaving out the parts that are empty.
std::string format_location(const Location& where, const std::string& message);

}  // namespace matopt
