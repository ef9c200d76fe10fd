// SPDX-License-Identifier: MIT
/// @file
/// @brief Advisory lock that serializes commands on one campaign file (flock on `CAMPAIGN.h5.lock`).
#pragma once

#include <filesystem>

namespace matopt {

/// @brief Holds an exclusive flock on `<campaign>.lock` for its lifetime.
///
/// A second holder waits, polling, up to `timeout_seconds` and then throws IOError naming the lock
/// file and the process id recorded by the holder. The lock file itself is left in place (removing
/// it would race with a waiter that already opened it); it carries no state.
class CampaignLock {
 public:
  /// @param campaign the campaign file; the lock file is `campaign` + ".lock"
  /// @param timeout_seconds how long to wait for another command; 0 = try once
  explicit CampaignLock(const std::filesystem::path& campaign, double timeout_seconds = 30.0);
  ~CampaignLock();
  CampaignLock(const CampaignLock&) = delete;
  CampaignLock& operator=(const CampaignLock&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

  /// @brief Default wait: $MATOPT_LOCK_TIMEOUT seconds if set and valid, else 30.
  static double default_timeout();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace matopt
