// SPDX-License-Identifier: MIT
/// @file
/// @brief Write-to-temporary-then-rename, so a reader never sees a half-written file.
#pragma once

#include <cstddef>
#include <filesystem>

namespace matopt {

/// @brief Reserves a temporary path beside `target`. Write to temp_path(), then commit() renames it
/// over the target (after fsync). If commit() is never called the temporary file is removed.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::filesystem::path& temp_path() const noexcept { return temp_; }
  const std::filesystem::path& target() const noexcept { return target_; }
  /// @brief fsyncs the temporary file, renames it onto the target and fsyncs the directory.
  void commit();

  /// @brief Removes temporaries of `target` left by writers that were killed (their process no
  /// longer exists). Call it only while holding whatever serializes writers of `target`.
  /// Returns how many were removed.
  static std::size_t remove_stale_temporaries(const std::filesystem::path& target);

 private:
  std::filesystem::path target_, temp_;
  bool committed_ = false;
};

}  // namespace matopt
