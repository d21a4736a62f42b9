// weft/queue.hpp — Queue<T>: Python's queue.Queue for threads.
//
// FIFO with an optional bound (maxsize 0 = unbounded), blocking, non-blocking and timed put and
// get, unfinished-task counting (task_done / join) and shutdown (Python 3.13): after
// shutdown(), put throws QueueShutDown and get drains what is left, then throws;
// shutdown(true) also drops what is left. Elements may be move-only.
//
// Model: every member is a scheduling point; blocked putters, getters and joiners wait on the
// queue. Calling task_done() more often than put() is a Misuse bug (std::logic_error in
// production).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <weft/clock.hpp>
#include <weft/detail/format.hpp>
#include <weft/detail/model.hpp>
#include <weft/errors.hpp>

namespace weft {

template <class T>
class Queue {
 public:
  explicit Queue(std::size_t maxsize = 0, Location where = Location::current())
      : Queue(maxsize, {}, where) {}
  Queue(std::size_t maxsize, std::string_view name, Location where = Location::current())
      : model_(detail::ObjectKind::Queue, name, where), maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Blocks while the queue is full. Throws QueueShutDown once the queue is shut down.
  void put(T item, Location where = Location::current()) {
    put_impl(item, Wait::Forever, {}, where);
  }
  // False (and the item dropped) if the queue is full.
  bool try_put(T item, Location where = Location::current()) {
    return put_impl(item, Wait::No, {}, where);
  }
  template <class R, class P>
  bool put_for(T item, std::chrono::duration<R, P> d, Location where = Location::current()) {
    return put_impl(item, Wait::For, detail::saturating_ns(d), where);
  }
  // Blocks while the queue is empty. Throws QueueShutDown once it is shut down and empty.
  T get(Location where = Location::current()) { return *get_impl(Wait::Forever, {}, where); }
  std::optional<T> try_get(Location where = Location::current()) {
    return get_impl(Wait::No, {}, where);
  }
  template <class R, class P>
  std::optional<T> get_for(std::chrono::duration<R, P> d, Location where = Location::current()) {
    return get_impl(Wait::For, detail::saturating_ns(d), where);
  }

  // One put() item has been processed. join() returns when every item put was task_done().
  void task_done(Location where = Location::current());
  void join(Location where = Location::current());
  // Makes put throw QueueShutDown; getters drain what is left, then throw. `immediate` drops
  // what is left (counting it as done) so that getters throw at once.
  void shutdown(bool immediate = false, Location where = Location::current());

  std::size_t size(Location where = Location::current()) const;
  bool empty(Location where = Location::current()) const { return size(where) == 0; }
  std::size_t maxsize() const noexcept { return maxsize_; }
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  enum class Wait { No, Forever, For };
  bool full() const noexcept { return maxsize_ > 0 && items_.size() >= maxsize_; }
  bool put_impl(T& item, Wait wait, std::chrono::nanoseconds d, const Location& where);
  std::optional<T> get_impl(Wait wait, std::chrono::nanoseconds d, const Location& where);
  detail::Execution& model(const Location& where) const {
    return detail::model(model_.execution(), "Queue", where);
  }
  // Model: waits for a change of the queue until `deadline` (-1 = none); false on timeout.
  bool model_block(detail::Execution& ex, std::int64_t deadline) {
    return !detail::block_until(ex, model_.id(), deadline) && !detail::unwinding(ex);
  }

  detail::ModelObject model_;
  std::size_t maxsize_;
  std::deque<T> items_;
  std::size_t unfinished_ = 0;
  bool shut_down_ = false;
  // Production only: waiters are counted so that the common case does not notify at all.
  mutable std::mutex m_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::condition_variable all_done_;
  unsigned getters_waiting_ = 0;
  unsigned putters_waiting_ = 0;
};

template <class T>
bool Queue<T>::put_impl(T& item, Wait wait, std::chrono::nanoseconds d, const Location& where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::unique_lock lock(m_);
    if (shut_down_) throw QueueShutDown();
    if (full()) {
      if (wait == Wait::No) return false;
      ++putters_waiting_;
      auto ready = [&] { return !full() || shut_down_; };
      bool ok = true;
      if (wait == Wait::Forever) {
        not_full_.wait(lock, ready);
      } else {
        ok = not_full_.wait_for(lock, detail::real_timeout(d), ready);
      }
      --putters_waiting_;
      if (shut_down_) throw QueueShutDown();
      if (!ok) return false;
    }
    items_.push_back(std::move(item));
    ++unfinished_;
    const bool wake = getters_waiting_ > 0;
    lock.unlock();
    if (wake) not_empty_.notify_one();
    return true;
  }
  detail::Execution& ex = model(where);
  if (detail::unwinding(ex)) return false;
  detail::point(ex, detail::OpKind::Put, model_.id(), where);
  const std::int64_t deadline = wait == Wait::For  ? detail::deadline_after(ex, d)
                                : wait == Wait::No ? 0
                                                   : -1;
  while (!shut_down_ && full()) {
    if (wait == Wait::No || (deadline >= 0 && detail::virtual_now(ex) >= deadline) ||
        !model_block(ex, deadline)) {
      if (!shut_down_ && full()) {
        if (detail::recording(ex)) detail::trace_value(ex, "full");
        return false;
      }
    }
    if (detail::unwinding(ex)) return false;
  }
  if (shut_down_) {
    if (detail::recording(ex)) detail::trace_value(ex, "shut down");
    throw QueueShutDown();
  }
  if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(item));
  items_.push_back(std::move(item));
  ++unfinished_;
  detail::sync(ex, model_.id(), detail::Sync::Release);  // put -> get, put -> join
  detail::wake_all(ex, model_.id());
  return true;
}

template <class T>
std::optional<T> Queue<T>::get_impl(Wait wait, std::chrono::nanoseconds d, const Location& where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::unique_lock lock(m_);
    if (items_.empty()) {
      if (shut_down_) throw QueueShutDown();
      if (wait == Wait::No) return std::nullopt;
      ++getters_waiting_;
      auto ready = [&] { return !items_.empty() || shut_down_; };
      bool ok = true;
      if (wait == Wait::Forever) {
        not_empty_.wait(lock, ready);
      } else {
        ok = not_empty_.wait_for(lock, detail::real_timeout(d), ready);
      }
      --getters_waiting_;
      if (items_.empty()) {
        if (shut_down_) throw QueueShutDown();
        if (!ok) return std::nullopt;
      }
    }
    std::optional<T> out(std::move(items_.front()));
    items_.pop_front();
    const bool wake = putters_waiting_ > 0;
    lock.unlock();
    if (wake) not_full_.notify_one();
    return out;
  }
  detail::Execution& ex = model(where);
  if (detail::unwinding(ex)) return std::nullopt;
  detail::point(ex, detail::OpKind::Get, model_.id(), where);
  const std::int64_t deadline = wait == Wait::For  ? detail::deadline_after(ex, d)
                                : wait == Wait::No ? 0
                                                   : -1;
  while (items_.empty() && !shut_down_) {
    if (wait == Wait::No || (deadline >= 0 && detail::virtual_now(ex) >= deadline) ||
        !model_block(ex, deadline)) {
      if (items_.empty() && !shut_down_) {
        if (detail::recording(ex)) detail::trace_value(ex, "empty");
        return std::nullopt;
      }
    }
    if (detail::unwinding(ex)) return std::nullopt;
  }
  detail::sync(ex, model_.id(), detail::Sync::Acquire);
  if (items_.empty()) {
    if (detail::recording(ex)) detail::trace_value(ex, "shut down");
    throw QueueShutDown();
  }
  std::optional<T> out(std::move(items_.front()));
  items_.pop_front();
  if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(*out));
  detail::wake_all(ex, model_.id());
  return out;
}

template <class T>
void Queue<T>::task_done(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::unique_lock lock(m_);
    if (unfinished_ == 0) {
      throw std::logic_error("weft::Queue::task_done() called more times than put()");
    }
    if (--unfinished_ == 0) {
      lock.unlock();
      all_done_.notify_all();
    }
    return;
  }
  detail::Execution& ex = model(where);
  if (detail::unwinding(ex)) return;
  detail::point(ex, detail::OpKind::TaskDone, model_.id(), where);
  if (unfinished_ == 0) {
    detail::fail(ex, BugKind::Misuse,
                 "task_done() on " + detail::object_name(ex, model_.id()) +
                     " called more times than put() at " + detail::location_text(where));
    return;
  }
  detail::sync(ex, model_.id(), detail::Sync::Release);  // task_done -> join
  if (--unfinished_ == 0) detail::wake_all(ex, model_.id());
  if (detail::recording(ex)) {
    detail::trace_value(ex, std::to_string(unfinished_) + " unfinished");
  }
}

template <class T>
void Queue<T>::join(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::unique_lock lock(m_);
    all_done_.wait(lock, [&] { return unfinished_ == 0; });
    return;
  }
  detail::Execution& ex = model(where);
  if (detail::unwinding(ex)) return;
  detail::point(ex, detail::OpKind::Join, model_.id(), where);
  while (unfinished_ > 0) {
    detail::block_on(ex, model_.id());
    if (detail::unwinding(ex)) return;
  }
  detail::sync(ex, model_.id(), detail::Sync::Acquire);
}

template <class T>
void Queue<T>::shutdown(bool immediate, Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    {
      std::lock_guard lock(m_);
      shut_down_ = true;
      if (immediate) {
        unfinished_ -= std::min(unfinished_, items_.size());
        items_.clear();
      }
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    all_done_.notify_all();
    return;
  }
  detail::Execution& ex = model(where);
  if (detail::unwinding(ex)) return;
  detail::point(ex, detail::OpKind::Shutdown, model_.id(), where);
  shut_down_ = true;
  if (immediate) {
    unfinished_ -= std::min(unfinished_, items_.size());
    items_.clear();
  }
  detail::sync(ex, model_.id(), detail::Sync::Release);
  if (detail::recording(ex)) detail::trace_value(ex, immediate ? "immediate" : "drain");
  detail::wake_all(ex, model_.id());
}

template <class T>
std::size_t Queue<T>::size(Location where) const {
  if (detail::production(model_.execution())) [[likely]] {
    std::lock_guard lock(m_);
    return items_.size();
  }
  detail::Execution& ex = model(where);
  detail::point(ex, detail::OpKind::Size, model_.id(), where);
  if (detail::recording(ex)) detail::trace_value(ex, "size " + std::to_string(items_.size()));
  return items_.size();
}

}  // namespace weft
