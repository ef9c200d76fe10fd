// SPDX-License-Identifier: MIT
// run_subprocess: fork + execvp with pipes for stdin/stdout/stderr and a CLOEXEC pipe that carries
// the errno of a failed chdir/exec, so "cannot start" is told apart from a program exiting 127.
#include "matopt/core/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "matopt/core/cancel.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  void open_cloexec() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw IOError(std::string("run_subprocess: pipe: ") + std::strerror(errno));
  }
  static void close_one(int& f) {
    if (f >= 0) ::close(f);
    f = -1;
  }
  ~Pipe() {
    close_one(fd[0]);
    close_one(fd[1]);
  }
};

// Child side, between fork and exec: async-signal-safe calls only (no allocation, no locks).
[[noreturn]] void child_exec(char* const* argv, const char* cwd, pid_t parent, int in_fd, int out_fd, int err_fd,
                             int report_fd) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  // Move the pipe ends above 2 first: when matopt runs with a standard descriptor closed, a pipe end
  // may itself be 0, 1 or 2, and dup2 onto it (or onto its neighbour) would go wrong.
  report_fd = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
  in_fd = ::fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
  out_fd = ::fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
  err_fd = ::fcntl(err_fd, F_DUPFD_CLOEXEC, 3);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    const int e = errno;
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    const int e = -errno;  // negative: the working directory, not the program, is at fault
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }
  ::execvp(argv[0], argv);
  const int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// Blocks SIGPIPE in this thread while the child's stdin is written (a child that exits without
/// reading it must not kill matopt), and discards a pending one afterwards.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeBlock() {
    const timespec zero{0, 0};
    while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_{}, old_{};
};

/// Feeds stdin and drains stdout/stderr until both close, the deadline passes or a cancellation is
/// requested (Ctrl-C in Python). Returns false on timeout or cancellation.
using Clock = std::chrono::steady_clock;

bool pump(int& in_fd, int& out_fd, int& err_fd, const std::string& input, SubprocessResult& res, double timeout_s,
          Clock::time_point deadline) {
  using clock = Clock;
  std::size_t written = 0;
  if (input.empty()) Pipe::close_one(in_fd);
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0, i_in = -1, i_out = -1, i_err = -1;
    if (in_fd >= 0) { fds[n] = {in_fd, POLLOUT, 0}; i_in = n++; }
    if (out_fd >= 0) { fds[n] = {out_fd, POLLIN, 0}; i_out = n++; }
    if (err_fd >= 0) { fds[n] = {err_fd, POLLIN, 0}; i_err = n++; }
    if (cancel_requested()) return false;
    int wait_ms = 100;  // wakes up to notice a cancellation
    if (timeout_s > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return false;
      wait_ms = static_cast<int>(std::min<long long>(left, 100));
    }
    const int r = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (r < 0 && errno != EINTR) throw IOError(std::string("run_subprocess: poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    if (i_in >= 0 && fds[i_in].revents != 0) {
      const ssize_t w = ::write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) Pipe::close_one(in_fd);  // EPIPE: it stopped reading
      if (written == input.size()) Pipe::close_one(in_fd);
    }
    auto drain = [&](int idx, int& fd, std::string& to) {
      if (idx < 0 || fds[idx].revents == 0) return;
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got > 0) to.append(buf, static_cast<std::size_t>(got));
      else if (got == 0 || (errno != EAGAIN && errno != EINTR)) Pipe::close_one(fd);
    };
    drain(i_out, out_fd, res.stdout_text);
    drain(i_err, err_fd, res.stderr_text);
  }
  return true;
}

}  // namespace

std::string SubprocessResult::describe(double timeout_s) const {
  char buf[64];
  if (!started) return "could not be started: " + spawn_error;
  if (timed_out) {
    std::snprintf(buf, sizeof buf, "%g", timeout_s);
    return std::string("timed out after ") + buf + " s (killed)";
  }
  if (signal != 0) return "was killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  return "exited with status " + std::to_string(exit_code);
}

std::string last_lines(const std::string& text, int lines) {
  std::size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  std::size_t start = end;
  for (int k = 0; k < lines; ++k) {
    const auto nl = start == 0 ? std::string::npos : text.rfind('\n', start - 1);
    if (nl == std::string::npos) return text.substr(0, end);
    start = nl;
  }
  return text.substr(start + 1, end - start - 1);
}

SubprocessResult run_subprocess(const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty() || argv[0].empty()) throw InvalidArgument("run_subprocess: empty command");
  // Everything the child needs is prepared before fork: it may not allocate afterwards.
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const std::string cwd = options.working_dir.string();

  Pipe in, out, err, report;
  in.open_cloexec();
  out.open_cloexec();
  err.open_cloexec();
  report.open_cloexec();
  SigpipeBlock sigpipe;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw IOError(std::string("run_subprocess: fork: ") + std::strerror(errno));
  if (pid == 0) child_exec(cargv.data(), cwd.empty() ? nullptr : cwd.c_str(), parent, in.fd[0], out.fd[1], err.fd[1], report.fd[1]);
  ::setpgid(pid, pid);  // also here, so a kill of the group cannot precede the child's own setpgid
  Pipe::close_one(in.fd[0]);
  Pipe::close_one(out.fd[1]);
  Pipe::close_one(err.fd[1]);
  Pipe::close_one(report.fd[1]);

  SubprocessResult res;
  int code = 0;
  ssize_t got;
  do got = ::read(report.fd[0], &code, sizeof code);
  while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof code)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    res.spawn_error = code < 0 ? "cannot enter working directory '" + cwd + "': " + std::strerror(-code)
                               : std::string(std::strerror(code));
    return res;
  }
  res.started = true;
  set_nonblocking(in.fd[1]);
  const bool limited = options.timeout_s > 0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(limited ? options.timeout_s : 0.0));
  int status = 0;
  auto kill_and_reap = [&] {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  };
  bool finished = false;
  try {
    finished = pump(in.fd[1], out.fd[0], err.fd[0], options.stdin_text, res, options.timeout_s, deadline);
    // Its output is closed; it may still run (or have closed stdout and gone on): wait up to the deadline.
    while (finished) {
      const pid_t w = ::waitpid(pid, &status, limited ? WNOHANG : 0);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) throw IOError(std::string("run_subprocess: waitpid: ") + std::strerror(errno));
      if ((limited && Clock::now() >= deadline) || cancel_requested()) finished = false;
      else if (limited) {
        const timespec pause{0, 2000000};
        ::nanosleep(&pause, nullptr);
      }
    }
  } catch (...) {
    kill_and_reap();  // never leave the program running behind an exception
    throw;
  }
  if (!finished) {
    kill_and_reap();
    check_cancelled();  // throws Cancelled when that is why it stopped
    res.timed_out = true;
    return res;
  }
  if (WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) res.signal = WTERMSIG(status);
  return res;
}

}  // namespace matopt
