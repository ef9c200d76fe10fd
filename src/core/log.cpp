// SPDX-License-Identifier: MIT
#include "matopt/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "matopt/core/cancel.hpp"

namespace matopt {

namespace {
std::atomic<int> g_verbosity{0};

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> log = [] {
    auto l = spdlog::stderr_color_mt("matopt");
    l->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    l->set_level(spdlog::level::warn);
    return l;
  }();
  return *log;
}

spdlog::level::level_enum level_for(int v) {
  if (v <= 0) return spdlog::level::warn;
  if (v == 1) return spdlog::level::info;
  if (v == 2) return spdlog::level::debug;
  return spdlog::level::trace;
}
}  // namespace

void set_verbosity(int level) {
  g_verbosity.store(level);
  logger().set_level(level_for(level));
}

int verbosity() noexcept { return g_verbosity.load(); }

void log_info(const std::string& message) { logger().info(message); }
void log_debug(const std::string& message) { logger().debug(message); }
void log_warn(const std::string& message) { logger().warn(message); }

Progress::Progress(std::string label, std::size_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_() {}

Progress::~Progress() { finish(); }

void Progress::update(std::size_t done, const std::string& detail) {
  check_cancelled();  // long work reports progress, so it is also where it can be stopped
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redraw at most ~5 times a second so that progress output never dominates the work.
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r%s  %zu/%zu", label_.c_str(), done, total_);
  if (done > 0 && done < total_) {
    const double eta = elapsed / static_cast<double>(done) * static_cast<double>(total_ - done);
    std::fprintf(stderr, "  ETA %.0fs", eta);
  } else {
    std::fprintf(stderr, "  %.1fs", elapsed);
  }
  if (!detail.empty()) std::fprintf(stderr, "  %s", detail.c_str());
  std::fprintf(stderr, "\033[K");
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\r%s  %zu/%zu  %.1fs\033[K\n", label_.c_str(), total_, total_,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  std::fflush(stderr);
}

}  // namespace matopt
