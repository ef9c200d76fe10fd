// SPDX-License-Identifier: MIT
// Private: the "oracles" list of the design-space JSON (parsed and written by design_space.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

#include "matopt/optimize/design_space.hpp"

namespace matopt::detail {

/// Parses `"oracles": [...]`; errors name the field path (e.g. "oracles[0].command[1]"). A relative
/// or absent working_dir is resolved against `base_dir` (made absolute).
std::vector<OracleSpec> parse_oracles(const nlohmann::ordered_json& j, const std::filesystem::path& base_dir);
/// The list as JSON (working_dir absolute, so a campaign file reopens from anywhere).
nlohmann::ordered_json oracles_to_json(const std::vector<OracleSpec>& oracles);

}  // namespace matopt::detail
