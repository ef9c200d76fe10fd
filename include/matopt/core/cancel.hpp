// SPDX-License-Identifier: MIT
/// @file
/// @brief Cooperative cancellation of long work (training, proposing, featurizing).
///
/// A front end (the Python module on Ctrl-C, a GUI's stop button) calls request_cancel(); the long
/// loops of the library call check_cancelled() between steps (each optimizer iteration, tree,
/// boosting round, parallel task and progress update), which then throws Cancelled. Work is never
/// half-saved: every file is written only after the computation has finished.
#pragma once

#include "matopt/core/error.hpp"

namespace matopt {

/// @brief Thrown by check_cancelled() after request_cancel(). Not a data or usage error.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

/// @brief Asks running work to stop. Async-signal-safe (sets one atomic flag), callable from any thread.
void request_cancel() noexcept;
/// @brief Withdraws a request (front ends call it before starting new work).
void clear_cancel() noexcept;
/// @brief Whether a request is pending.
bool cancel_requested() noexcept;
/// @brief Throws Cancelled when a request is pending; otherwise returns (one relaxed atomic load).
void check_cancelled();

}  // namespace matopt
