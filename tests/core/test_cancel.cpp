// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <atomic>

#include "core/parallel.hpp"
#include "matopt/core/cancel.hpp"
#include "matopt/core/log.hpp"

using namespace matopt;

namespace {
struct ClearCancel {
  ~ClearCancel() { clear_cancel(); }
};
}  // namespace

TEST_CASE("cancel: check_cancelled throws only after a request", "[cancel]") {
  ClearCancel guard;
  clear_cancel();
  CHECK_FALSE(cancel_requested());
  CHECK_NOTHROW(check_cancelled());
  request_cancel();
  CHECK(cancel_requested());
  CHECK_THROWS_AS(check_cancelled(), Cancelled);
  CHECK_THROWS_WITH(check_cancelled(), "cancelled");
  clear_cancel();
  CHECK_NOTHROW(check_cancelled());
}

TEST_CASE("cancel: parallel loops stop at the next task; Progress::update is a cancellation point", "[cancel]") {
  ClearCancel guard;
  clear_cancel();
  for (int threads : {1, 3}) {
    std::atomic<int> done{0};
    // The request comes from inside task 2: no task after the ones already running starts.
    CHECK_THROWS_AS(detail::parallel_for(1000, threads,
                                         [&](int i) {
                                           if (i == 2) request_cancel();
                                           ++done;
                                         }),
                    Cancelled);
    // Task 2 itself completes; at most one task per other thread was already past its start.
    CHECK(done.load() >= 1);
    CHECK(done.load() <= 3 + threads);
    clear_cancel();
    std::atomic<int> chunks{0};
    request_cancel();
    CHECK_THROWS_AS(detail::parallel_chunks(100000, threads, 10, [&](std::size_t, std::size_t) { ++chunks; }),
                    Cancelled);
    CHECK(chunks.load() == 0);
    clear_cancel();
  }
  Progress p("test", 10);
  CHECK_NOTHROW(p.update(1));
  request_cancel();
  CHECK_THROWS_AS(p.update(2), Cancelled);
}
