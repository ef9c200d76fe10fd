// SPDX-License-Identifier: MIT
// Cooperative cancellation: one process-wide flag, polled by the long loops.
#include "matopt/core/cancel.hpp"

#include <atomic>

namespace matopt {

namespace {
// A lock-free atomic<bool> may be written from a signal handler.
std::atomic<bool> g_cancel{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

void request_cancel() noexcept { g_cancel.store(true, std::memory_order_relaxed); }
void clear_cancel() noexcept { g_cancel.store(false, std::memory_order_relaxed); }
bool cancel_requested() noexcept { return g_cancel.load(std::memory_order_relaxed); }
void check_cancelled() {
  if (g_cancel.load(std::memory_order_relaxed)) throw Cancelled();
}

}  // namespace matopt
