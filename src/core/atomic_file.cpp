// SPDX-License-Identifier: MIT
#include "matopt/core/atomic_file.hpp"

#include <signal.h>
#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "matopt/core/error.hpp"

namespace matopt {

namespace {
std::atomic<unsigned long> g_counter{0};

void fsync_path(const std::filesystem::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // some file systems refuse to open directories; the rename still happened
    throw IOError(p.string() + ": cannot open for fsync: " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && !directory) throw IOError(p.string() + ": fsync failed: " + std::strerror(err));
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  if (target_.filename().empty()) throw IOError("'" + target_.string() + "' is not a file path");
  // Same directory as the target so that rename() is atomic (same file system); hidden name so that
  // globs over the directory do not pick it up.
  std::string name(1, '.');
  name.append(target_.filename().string()).append(".tmp").append(std::to_string(::getpid()));
  name.append(1, '.').append(std::to_string(g_counter.fetch_add(1)));
  temp_ = target_.parent_path() / name;
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  if (committed_) throw IOError(target_.string() + ": AtomicFile committed twice");
  std::error_code ec;
  if (!std::filesystem::exists(temp_, ec))
    throw IOError(target_.string() + ": nothing was written to the temporary file " + temp_.string());
  fsync_path(temp_, false);
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw IOError(target_.string() + ": cannot rename temporary file into place: " + std::strerror(errno));
  committed_ = true;
  const auto dir = target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path();
  fsync_path(dir, true);
}

std::size_t AtomicFile::remove_stale_temporaries(const std::filesystem::path& target) {
  const std::string prefix = "." + target.filename().string() + ".tmp";
  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    // Name: .<target>.tmp<pid>.<counter>
    const std::string rest = name.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos) continue;
    if (rest.find_first_not_of("0123456789") != dot) continue;
    const long pid = std::strtol(rest.substr(0, dot).c_str(), nullptr, 10);
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    // ESRCH: no such process, so nobody can still be writing this file.
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (std::filesystem::remove(entry.path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace matopt
