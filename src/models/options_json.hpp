// SPDX-License-Identifier: MIT
// Private: reading a model's options from JSON text, shared by the models that take JSON options.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "matopt/core/error.hpp"

namespace matopt::detail {

/// The options text as a JSON object; blank text is the empty object (all defaults). Throws
/// InvalidArgument starting with `what` (e.g. "GP options") for invalid JSON or another JSON type.
inline nlohmann::json parse_options_object(const std::string& text, const char* what) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string(what) + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw InvalidArgument(std::string(what) + ": expected a JSON object, got '" + text + "'");
  return j;
}

}  // namespace matopt::detail
