// SPDX-License-Identifier: MIT
// Private: contiguous-chunk parallel loop with deterministic error reporting.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace matopt::detail {

inline unsigned resolve_threads(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

/// Runs fn(begin, end) over [0, n) split into at most `threads` contiguous chunks of at least
/// `min_chunk` items. If several chunks throw, the exception of the lowest chunk is rethrown, so the
/// reported error (the first bad row) does not depend on scheduling.
template <class Fn>
void parallel_chunks(std::size_t n, unsigned threads, std::size_t min_chunk, Fn&& fn) {
  threads = resolve_threads(threads);
  std::size_t chunks = std::min<std::size_t>(threads, std::max<std::size_t>(1, n / std::max<std::size_t>(1, min_chunk)));
  if (chunks <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> errors(chunks);
  std::vector<std::thread> pool;
  pool.reserve(chunks - 1);
  auto run = [&](std::size_t c) {
    std::size_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    try {
      fn(begin, end);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  };
  for (std::size_t c = 1; c < chunks; ++c) pool.emplace_back(run, c);
  run(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace matopt::detail
