// SPDX-License-Identifier: MIT
/// @file
/// @brief Design-space JSON entry point shared by fuzz_design_space and the optimize regression test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/core_targets.hpp"
#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"

namespace matopt::fuzz {

/// @brief from_json_text on the input (relative pool paths resolve in an empty scratch directory).
/// An accepted space must write JSON that reads back into a space writing the same JSON.
inline std::string fuzz_design_space_one(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto base = scratch_dir() / "space";
  std::filesystem::create_directories(base);
  DesignSpace space;
  try {
    space = DesignSpace::from_json_text(text, base);
  } catch (const Error&) {
    return {};
  }
  const std::string once = space.to_json_text();
  std::string twice;
  try {
    twice = DesignSpace::from_json_text(once, base).to_json_text();
  } catch (const Error& e) {
    return std::string("to_json_text output is rejected: ") + e.what() + "\n" + once;
  }
  if (once != twice) return "to_json_text is not a fixed point:\n" + once + "\n" + twice;
  if (space.dimension() != space.num_elements() + space.num_process()) return "dimension mismatch";
  return {};
}

}  // namespace matopt::fuzz
