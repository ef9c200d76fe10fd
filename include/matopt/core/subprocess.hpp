// SPDX-License-Identifier: MIT
/// @file
/// @brief Runs an external program by argument vector (fork + execvp, never a shell), feeds it
/// stdin text and captures stdout and stderr concurrently, with a wall-clock timeout that kills the
/// program's whole process group. The child also dies if matopt dies (PR_SET_PDEATHSIG).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace matopt {

struct SubprocessOptions {
  std::filesystem::path working_dir;  ///< empty = the caller's working directory
  double timeout_s = 60.0;            ///< wall clock; <= 0 = no limit
  std::string stdin_text;             ///< written to the child's stdin, which is then closed
};

struct SubprocessResult {
  bool started = false;     ///< false: the program could not be started (see spawn_error)
  std::string spawn_error;  ///< e.g. "No such file or directory" (errno of chdir or execvp)
  bool timed_out = false;   ///< killed (SIGKILL to its process group) after timeout_s
  int exit_code = -1;       ///< exit status when it exited normally, else -1
  int signal = 0;           ///< signal that ended it (0 when it exited)
  std::string stdout_text;
  std::string stderr_text;
  /// True when the program started, exited with status 0, not by a signal and not timed out.
  bool ok() const noexcept { return started && !timed_out && signal == 0 && exit_code == 0; }
  /// One line: "exited with status 3", "was killed by signal 9 (Killed)", "timed out after 0.5 s",
  /// "could not be started: No such file or directory".
  std::string describe(double timeout_s) const;
};

/// @brief Runs `argv` (argv[0] looked up in PATH when it has no '/') and waits for it. Throws
/// InvalidArgument for an empty argv, and Cancelled (after killing the program's group) when a
/// cancellation is requested meanwhile (core/cancel.hpp); every failure of the program itself is
/// reported in the result.
/// Safe to call from a multithreaded process (only async-signal-safe calls between fork and exec).
SubprocessResult run_subprocess(const std::vector<std::string>& argv, const SubprocessOptions& options);

/// @brief The last `lines` lines of `text` (for error messages quoting a program's stderr).
std::string last_lines(const std::string& text, int lines);

}  // namespace matopt
