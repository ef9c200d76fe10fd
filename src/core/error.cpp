// SPDX-License-Identifier: MIT
#include "matopt/core/error.hpp"

namespace matopt {

namespace {
std::string formula_message(const std::string& formula, std::size_t position, const std::string& token,
                            const std::string& reason) {
  std::string msg = "cannot parse formula '" + formula + "' at position " + std::to_string(position + 1);
  if (!token.empty()) msg += " ('" + token + "')";
  msg += ": " + reason;
  return msg;
}
}  // namespace

FormulaError::FormulaError(const std::string& formula, std::size_t position, const std::string& token,
                           const std::string& reason)
    : DataError(formula_message(formula, position, token, reason)),
      formula_(formula),
      token_(token),
      reason_(reason),
      position_(position) {}

std::string format_location(const Location& where, const std::string& message) {
  std::string out;
  auto sep = [&out] {
    if (!out.empty()) out += ", ";
  };
  if (!where.file.empty()) out += where.file;
  if (where.row != 0) {
    if (!out.empty()) out += ": ";
    out += "row " + std::to_string(where.row);
  }
  if (!where.column.empty()) {
    if (where.row == 0 && !out.empty()) out += ": ";
    else sep();
    out += "column '" + where.column + "'";
  }
  if (!out.empty()) out += ": ";
  out += message;
  if (!where.value.empty()) {
    std::string shown = where.value.size() > 80 ? where.value.substr(0, 77) + "..." : where.value;
    out += " (got '" + shown + "')";
  }
  return out;
}

}  // namespace matopt
