// SPDX-License-Identifier: MIT
/// @file
/// @brief Library version.
#pragma once

#include <string>

#include "matopt/config.hpp"

namespace matopt {
/// @brief "MAJOR.MINOR.PATCH" of the library that is linked (may differ from the headers').
std::string version();
}  // namespace matopt
