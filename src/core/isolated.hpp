// SPDX-License-Identifier: MIT
// Runs a piece of work in a forked child process so that a crash or endless loop inside a third-party
// library (libhdf5 on a corrupted file) cannot take the calling process down with it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace matopt::detail {

struct IsolatedOutcome {
  enum class Kind { finished, crashed, timed_out };
  Kind kind = Kind::finished;
  int signal = 0;         ///< the signal that ended the child (crashed)
  int exit_code = 0;      ///< the child's exit code (crashed with a code other than 0)
  std::string output;     ///< what `work` returned (finished)
  std::chrono::milliseconds timeout{};
  std::string describe() const;  ///< "was killed by signal 11 (SIGSEGV)", "did not finish within 30 s", ...
};

/// @brief Forks, runs `work` in the child and waits at most `timeout` for it (the child is killed
/// after that). `finished` means `work` returned; its string comes back in `output` (through a pipe).
/// `work` must catch its own exceptions: one that escapes counts as a crash.
/// `extra_memory_bytes` caps how much address space the child may add to the parent's (0: no cap;
/// ignored under AddressSanitizer, which reserves address space up front).
IsolatedOutcome run_isolated(const std::function<std::string()>& work, std::chrono::milliseconds timeout,
                             std::size_t extra_memory_bytes);

}  // namespace matopt::detail
