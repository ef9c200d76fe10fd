// SPDX-License-Identifier: MIT
/// @file
/// @brief Logging verbosity and terminal progress reporting.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace matopt {

/// @brief 0 = warnings and errors only (default), 1 = info, 2 = debug, 3 = trace.
void set_verbosity(int level);
int verbosity() noexcept;

/// @brief Logs at info/debug/warn level through matopt's logger (spdlog, stderr).
void log_info(const std::string& message);
void log_debug(const std::string& message);
void log_warn(const std::string& message);

/// @brief A one-line progress indicator on stderr ("label  k/n  ETA 12s"), drawn only when stderr is
/// a terminal, redrawn at most a few times a second. Thread-compatible (call from one thread).
/// update() is also a cancellation point: it throws Cancelled after request_cancel() (core/cancel.hpp).
class Progress {
 public:
  Progress(std::string label, std::size_t total);
  ~Progress();
  void update(std::size_t done, const std::string& detail = {});
  void finish();

 private:
  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace matopt
