// SPDX-License-Identifier: MIT
// Private: the two deterministic parallel loops every layer uses. Work is split so that each index
// is computed the same way whichever thread runs it; results never depend on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "matopt/core/cancel.hpp"

namespace matopt::detail {

/// Set on a thread that is itself one worker of an outer parallel loop (see SerialScope).
inline thread_local bool serial_thread = false;

/// Threads to use: `requested` if positive, else every core (at least 1), or 1 inside a SerialScope.
inline unsigned resolve_threads(long long requested) {
  if (requested > 0) return static_cast<unsigned>(requested);
  if (serial_thread) return 1;
  return std::max(1u, std::thread::hardware_concurrency());
}

/// While alive, loops on this thread that ask for "all cores" (threads = 0) run on it alone: an
/// outer loop whose workers each call into models (e.g. screening blocks) already uses every core,
/// and nested thread pools would only oversubscribe them. Results do not change (they never depend
/// on the thread count).
class SerialScope {
 public:
  SerialScope() : previous_(serial_thread) { serial_thread = true; }
  ~SerialScope() { serial_thread = previous_; }
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  bool previous_;
};

/// Runs fn(begin, end) over [0, n) split into at most `threads` (0 = all cores) contiguous chunks of
/// at least `min_chunk` items. If several chunks throw, the exception of the lowest chunk is
/// rethrown, so the reported error (e.g. the first bad row) does not depend on scheduling.
template <class Fn>
void parallel_chunks(std::size_t n, long long threads, std::size_t min_chunk, Fn&& fn) {
  const std::size_t chunks = std::min<std::size_t>(
      resolve_threads(threads), std::max<std::size_t>(1, n / std::max<std::size_t>(1, min_chunk)));
  check_cancelled();  // every task starts with a cancellation point (core/cancel.hpp)
  if (chunks <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> errors(chunks);
  auto run = [&](std::size_t c) {
    try {
      check_cancelled();
      fn(n * c / chunks, n * (c + 1) / chunks);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(chunks - 1);
  for (std::size_t c = 1; c < chunks; ++c) pool.emplace_back(run, c);
  run(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Runs body(i) for i in [0, count) on up to `threads` threads (0 = all cores), handing out indices
/// one at a time (for uneven tasks such as optimizer restarts). The exception of the lowest failing
/// index is rethrown after all threads have joined. After request_cancel() no new index starts and
/// Cancelled is thrown once the running ones have returned.
template <class F>
void parallel_for(int count, long long threads, F&& body) {
  const int workers = std::min(static_cast<int>(resolve_threads(threads)), count);
  if (workers <= 1) {
    for (int i = 0; i < count; ++i) {
      check_cancelled();
      body(i);
    }
    return;
  }
  std::atomic<int> next{0};
  std::exception_ptr error;
  int error_index = count;
  std::mutex error_mutex;
  auto run = [&] {
    for (int i = next++; i < count && !cancel_requested(); i = next++) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (i < error_index) {
          error_index = i;
          error = std::current_exception();
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
  check_cancelled();  // workers stop taking indices once cancellation is requested
  if (error) std::rethrow_exception(error);
}

}  // namespace matopt::detail
