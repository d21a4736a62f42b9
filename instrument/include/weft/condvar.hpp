// weft/condvar.hpp — CondVar: a condition variable usable with any weft lock (Python Condition).
//
// Production: std::condition_variable_any. Model: wait releases the lock and blocks in one step;
// notify_one wakes a waiter chosen by the strategy (no FIFO promise, as with real condition
// variables); a notify with no waiter is lost, so a wait without a predicate whose notify
// already happened is found as a Deadlock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <string_view>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>
#include <weft/locks.hpp>

namespace weft {

class CondVar {
 public:
  explicit CondVar(Location where = Location::current())
      : model_(detail::ObjectKind::CondVar, {}, where) {}
  explicit CondVar(std::string_view name, Location where = Location::current())
      : model_(detail::ObjectKind::CondVar, name, where) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  template <class Lock>
  void wait(Lock& lock, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      cv_.wait(lock);
      return;
    }
    model_wait(lock, -1, where);
  }
  template <class Lock, class Pred>
  requires std::predicate<Pred&>
  void wait(Lock& lock, Pred pred, Location where = Location::current()) {
    while (!pred()) wait(lock, where);
  }
  // False when the timeout expired.
  template <class Lock, class Rep, class Per>
  bool wait_for(Lock& lock, std::chrono::duration<Rep, Per> d,
                Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return cv_.wait_for(lock, detail::real_timeout(d)) == std::cv_status::no_timeout;
    detail::Execution& ex = detail::model(model_.execution(), "CondVar", where);
    return !model_wait(lock, detail::deadline_after(ex, d), where);
  }
  // The predicate's value at the end (false: timed out with the predicate still false).
  template <class Lock, class Rep, class Per, class Pred>
  requires std::predicate<Pred&>
  bool wait_for(Lock& lock, std::chrono::duration<Rep, Per> d, Pred pred,
                Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return cv_.wait_for(lock, detail::real_timeout(d), std::move(pred));
    detail::Execution& ex = detail::model(model_.execution(), "CondVar", where);
    const std::int64_t deadline = detail::deadline_after(ex, d);
    while (!pred()) {
      if (model_wait(lock, deadline, where)) return pred();
    }
    return true;
  }

  void notify_one(Location where = Location::current());
  void notify_all(Location where = Location::current());
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  void begin_wait(const Location& where);
  bool end_wait(std::int64_t deadline, const Location& where);

  // Returns true if the wait timed out.
  template <class Lock>
  bool model_wait(Lock& lock, std::int64_t deadline, const Location& where) {
    detail::Execution& ex = detail::model(model_.execution(), "CondVar", where);
    if (detail::unwinding(ex)) return true;
    begin_wait(where);
    // Releasing the lock and blocking happen with no scheduling point in between: atomic.
    if constexpr (requires { lock.unlock(where); }) {
      lock.unlock(where);
    } else {
      lock.unlock();
    }
    const bool timed_out = end_wait(deadline, where);
    if constexpr (requires { lock.lock(where); }) {
      lock.lock(where);
    } else {
      lock.lock();
    }
    return timed_out;
  }

  detail::ModelObject model_;
  std::condition_variable_any cv_;
};

}  // namespace weft
