// SPDX-License-Identifier: MIT
#include "core/isolated.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include "matopt/core/error.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define MATOPT_ISOLATED_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MATOPT_ISOLATED_ASAN 1
#endif
#endif

// Set by sanitizer runtimes (and used by libFuzzer to save crash inputs); weak, so absent otherwise.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace matopt::detail {

namespace {

std::size_t current_address_space_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string IsolatedOutcome::describe() const {
  switch (kind) {
    case Kind::finished:
      return "finished";
    case Kind::timed_out:
    {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", static_cast<double>(timeout.count()) / 1000.0);
      return std::string("did not finish within ") + secs + " s";
    }
    case Kind::crashed:
      if (signal != 0) {
        const char* name = sigabbrev_np(signal);
        return "was killed by signal " + std::to_string(signal) + (name ? std::string(" (SIG") + name + ")" : "");
      }
      return "exited with code " + std::to_string(exit_code);
  }
  return "unknown";
}

IsolatedOutcome run_isolated(const std::function<std::string()>& work, std::chrono::milliseconds timeout,
                             std::size_t extra_memory_bytes) {
  // The child writes its result into the pipe; the pipe's end-of-file tells the parent that the child
  // has exited, so one poll() loop waits for "done or timed out". One call at a time: a child forked
  // by a concurrent call would inherit this pipe's write end and delay its end-of-file.
  static std::mutex one_at_a_time;
  const std::lock_guard<std::mutex> lock(one_at_a_time);
  const pid_t parent = ::getpid();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw IOError(std::string("cannot create a pipe: ") + std::strerror(errno));
  int read_end = fds[0], write_end = fds[1];
  [[maybe_unused]] const std::size_t limit = extra_memory_bytes ? current_address_space_bytes() + extra_memory_bytes : 0;
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    close_fd(read_end);
    close_fd(write_end);
    throw IOError(std::string("cannot start a child process: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::close(read_end);
    // Die with the parent: a child looping inside libhdf5 must not outlive a killed command (it would
    // hold inherited descriptors, such as the campaign lock, forever).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(4);
    // Keep only stdio and the pipe: no inherited lock or data file stays open in the child.
    if (write_end > 3) ::close_range(3, static_cast<unsigned>(write_end) - 1, 0);
    ::close_range(static_cast<unsigned>(write_end) + 1, ~0U, 0);
    // A crash here is an expected outcome, reported by the parent: no inherited crash handlers (a
    // sanitizer's report, a fuzzer saving the input as its own crash), no core dump.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
    if (&__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(nullptr);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const auto cpu_seconds = static_cast<rlim_t>(timeout.count() / 1000 + 2);
    const rlimit cpu{cpu_seconds, cpu_seconds + 1};
    ::setrlimit(RLIMIT_CPU, &cpu);
#ifndef MATOPT_ISOLATED_ASAN
    if (limit) {
      const rlimit rl{limit, limit};
      ::setrlimit(RLIMIT_AS, &rl);
    }
#endif
    const std::string result = work();  // an escaping exception terminates the child: reported as a crash
    for (std::size_t done = 0; done < result.size();) {
      const ssize_t n = ::write(write_end, result.data() + done, result.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(3);
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);  // no atexit handlers or static destructors of the parent's state
  }
  close_fd(write_end);
  IsolatedOutcome out;
  out.timeout = timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool child_done = false;
  while (!child_done) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{read_end, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) continue;
    char buf[4096];
    const ssize_t n = ::read(read_end, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) child_done = true;  // end of file: the child has exited (or a read error)
    else out.output.append(buf, static_cast<std::size_t>(n));
  }
  close_fd(read_end);
  if (!child_done) {
    ::kill(pid, SIGKILL);
    out.kind = IsolatedOutcome::Kind::timed_out;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (out.kind == IsolatedOutcome::Kind::timed_out) return out;
  if (WIFSIGNALED(status)) {
    out.kind = IsolatedOutcome::Kind::crashed;
    out.signal = WTERMSIG(status);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    out.kind = IsolatedOutcome::Kind::crashed;
    out.exit_code = WEXITSTATUS(status);
  }
  return out;
}

}  // namespace matopt::detail
