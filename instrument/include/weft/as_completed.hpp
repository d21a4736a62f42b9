// weft/as_completed.hpp — as_completed() and wait() over a vector of futures (Python
// concurrent.futures.as_completed / wait).
//
// Both register a waiter with every future; a future reports its completion to it (with its own
// lock held), so nothing polls. In model mode the waiter is a Mutex + CondVar named
// "as_completed@file:line" / "wait@file:line", and every step is a scheduling point.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <mutex>
#include <vector>

#include <weft/future.hpp>

namespace weft {

// A single pass over futures in the order they complete: an input range of Future<T>&
// referring into the vector given to as_completed(). Each future is yielded exactly once;
// futures that are done when as_completed() is called come first, in the order they completed;
// the others as they complete (cancelled ones included). begin() and ++ block until the next
// future is done. The vector must outlive the iteration and keep its size.
template <class T>
class AsCompleted {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Future<T>;
    using difference_type = std::ptrdiff_t;
    using reference = Future<T>&;
    using pointer = Future<T>*;

    iterator() noexcept = default;

    reference operator*() const { return (*futures_)[w_->position]; }
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      w_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.at_end() == b.at_end() && (a.at_end() || a.w_ == b.w_);
    }

   private:
    friend class AsCompleted;
    iterator(detail::CompletionWaiter* w, std::vector<Future<T>>* futures)
        : w_(w), futures_(futures) {}
    bool at_end() const noexcept { return w_ == nullptr || w_->finished; }

    detail::CompletionWaiter* w_ = nullptr;
    std::vector<Future<T>>* futures_ = nullptr;
  };

  AsCompleted(std::vector<Future<T>>& futures, const Location& where)
      : futures_(&futures),
        waiter_(std::make_shared<detail::CompletionWaiter>("as_completed", where)) {
    waiter_->total = futures.size();
    waiter_->where = where;
    for (std::size_t i = 0; i < futures.size(); ++i) {
      detail::FutureAccess::state(futures[i], where)->add_waiter(waiter_, i, where);
    }
  }

  // Blocks until the first future is done (the first call only; later calls return an
  // iterator at the current position).
  iterator begin() {
    if (!waiter_->started) {
      waiter_->started = true;
      waiter_->advance();
    }
    return iterator(waiter_.get(), futures_);
  }
  iterator end() noexcept { return iterator(); }

 private:
  std::vector<Future<T>>* futures_;
  std::shared_ptr<detail::CompletionWaiter> waiter_;
};

// Python's as_completed(fs): `for (weft::Future<int>& f : weft::as_completed(futures))`.
template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>>& futures, Location where = Location::current()) {
  return AsCompleted<T>(futures, where);
}

enum class ReturnWhen {
  FirstCompleted,  // any future is done (finished or cancelled)
  FirstException,  // any future finished with an exception, or all are done
  AllCompleted,    // every future is done
};

// Indices into the vector given to wait(), each list in increasing order.
struct WaitResult {
  std::vector<std::size_t> done;
  std::vector<std::size_t> not_done;
};

// Python's concurrent.futures.wait(fs, return_when): blocks until the condition holds and
// returns which futures were done at that moment. An empty vector returns at once.
template <class T>
WaitResult wait(std::vector<Future<T>>& futures, ReturnWhen when = ReturnWhen::AllCompleted,
                Location where = Location::current()) {
  const std::size_t n = futures.size();
  auto w = std::make_shared<detail::CompletionWaiter>("wait", where);
  std::vector<char> is_done(n, 0);
  std::vector<char> registered(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    registered[i] =
        detail::FutureAccess::state(futures[i], where)->add_waiter(w, i, where).registered;
  }
  std::size_t done_count = 0;
  bool failed = false;
  w->drain_until(
      [&](const detail::CompletionWaiter::Entry& e) {
        if (!is_done[e.index]) {
          is_done[e.index] = 1;
          ++done_count;
        }
        failed = failed || e.failed;
      },
      [&] {
        return done_count == n || (when == ReturnWhen::FirstCompleted && done_count > 0) ||
               (when == ReturnWhen::FirstException && failed);
      },
      where);
  WaitResult out;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_done[i]) {
      // Told just before the future sets its Event: done through every member on return.
      detail::FutureAccess::state(futures[i], where)->wait_done(where);
      out.done.push_back(i);
    } else {
      out.not_done.push_back(i);
    }
    // Still registered: no longer interested (a completed future dropped its waiters itself).
    if (registered[i] && !is_done[i]) {
      detail::FutureAccess::state(futures[i], where)->remove_waiter(w.get(), where);
    }
  }
  return out;
}

}  // namespace weft
