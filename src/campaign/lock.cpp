// SPDX-License-Identifier: MIT
#include "matopt/campaign/lock.hpp"
#include "matopt/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt {

namespace {

std::string read_holder(int fd) {
  char buf[64] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return {};
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

double CampaignLock::default_timeout() {
  if (const char* env = std::getenv("MATOPT_LOCK_TIMEOUT")) {
    char* end = nullptr;
    double v = std::strtod(env, &end);
    if (end != env && *end == '\0' && v >= 0.0) return v;
  }
  return 30.0;
}

CampaignLock::CampaignLock(const std::filesystem::path& campaign, double timeout_seconds)
    : path_(campaign.string() + ".lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw IOError(path_.string() + ": cannot open the campaign lock file: " + std::strerror(errno));
  const auto start = std::chrono::steady_clock::now();
  bool announced = false;
  for (;;) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw IOError(path_.string() + ": cannot lock: " + std::strerror(err));
    }
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (waited >= timeout_seconds) {
      const std::string holder = read_holder(fd_);
      ::close(fd_);
      fd_ = -1;
      throw IOError(campaign.string() + " is in use by another matopt command" +
                    (holder.empty() ? std::string() : " (pid " + holder + ")") + "; gave up after " +
                    [&] {
                      char buf[32];
                      std::snprintf(buf, sizeof(buf), "%.1f", timeout_seconds);
                      return std::string(buf);
                    }() +
                    " s waiting for " + path_.string() +
                    " (set MATOPT_LOCK_TIMEOUT to wait longer)");
    }
    if (!announced) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.1f", timeout_seconds);
      log_warn(campaign.string() + " is locked by another command; waiting up to " + buf + " s");
      announced = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Record who holds it so a waiter that gives up can say so.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
  // Every writer of the campaign holds this lock, so temporaries of dead writers (killed mid-save)
  // can go now.
  if (const std::size_t n = AtomicFile::remove_stale_temporaries(campaign))
    log_info("removed " + std::to_string(n) + " temporary file(s) left by interrupted commands");
}

CampaignLock::~CampaignLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace matopt
