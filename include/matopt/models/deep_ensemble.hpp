// SPDX-License-Identifier: MIT
/// @file
/// @brief Deep ensemble surrogate (Lakshminarayanan et al. 2017). The implementation lives in the
/// libtorch plugin `libmatopt_torch.so`, loaded with dlopen on first use; this header is torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "matopt/models/surrogate.hpp"

namespace matopt {

/// @brief Creates an unfitted deep ensemble. `options_json` may set members, hidden layers, epochs,
/// learning rate, weight decay, patience, validation fraction, threads (see docs/deep-ensemble.md);
/// unknown keys or wrong types throw InvalidArgument naming the key.
/// With `classification`, targets must be 0/1 and mean() is P(y = 1).
/// Throws BackendError (with the reason) if the torch plugin cannot be loaded.
std::unique_ptr<Surrogate> make_deep_ensemble(const std::string& options_json, std::uint64_t seed,
                                              bool classification = false);

/// @brief True when the torch plugin can be loaded in this process; `why` receives the reason if not.
bool deep_ensemble_available(std::string* why = nullptr);

/// @brief Forgets the cached outcome of loading the plugin, so the next use looks again (re-reading
/// MATOPT_TORCH_PLUGIN). A plugin already loaded stays mapped and existing models keep working.
/// Meant for tests and long-running hosts that install the plugin later.
void reset_deep_ensemble_loader();

}  // namespace matopt
