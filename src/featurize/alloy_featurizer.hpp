// SPDX-License-Identifier: MIT
// Private: the registry's factory for the `alloy` featurizer (src/featurize/alloy.cpp).
#pragma once

#include <memory>

#include "matopt/featurize/featurizer.hpp"

namespace matopt {

/// @brief The `alloy` featurizer; `strict` makes missing element or pair data a DataError instead of NaN.
std::unique_ptr<Featurizer> make_alloy_featurizer(bool strict);

}  // namespace matopt
