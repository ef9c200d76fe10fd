// SPDX-License-Identifier: MIT
// Private: the best k items of a stream under a strict total order, shared by propose's shortlist
// and screen's top-K (the order breaks ties by position, so the result does not depend on chunking).
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace matopt::detail {

/// `Before(a, b)`: a ranks before (is better than) b. The heap's front is the worst item kept.
template <class T, class Before>
class BoundedTopK {
 public:
  explicit BoundedTopK(std::size_t k) : k_(k) {}
  void offer(T item) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.push_back(std::move(item));
      std::push_heap(heap_.begin(), heap_.end(), Before{});
    } else if (Before{}(item, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Before{});
      heap_.back() = std::move(item);
      std::push_heap(heap_.begin(), heap_.end(), Before{});
    }
  }
  /// The items kept, best first.
  std::vector<T> sorted() const {
    std::vector<T> out = heap_;
    std::sort(out.begin(), out.end(), Before{});
    return out;
  }
  /// The items kept, in heap order.
  const std::vector<T>& items() const noexcept { return heap_; }

 private:
  std::size_t k_;
  std::vector<T> heap_;
};

}  // namespace matopt::detail
