// SPDX-License-Identifier: MIT
#include "matopt/core/version.hpp"

namespace matopt {
std::string version() { return MATOPT_VERSION_STRING; }
}  // namespace matopt
