// weft/mutex.hpp — Mutex and RecursiveMutex (Python Lock and RLock).
//
// Production: std::timed_mutex / std::recursive_timed_mutex, one predictable branch away.
// Model: lock and try_lock are scheduling points; unlock is not (nothing can observe the
// difference, and it runs in destructors). Misuse — unlock by a non-owner, double unlock,
// re-locking a Mutex the thread already holds — is reported as a bug.
#pragma once

#include <chrono>
#include <mutex>
#include <string_view>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>

namespace weft {

namespace detail {
// The model of both mutex kinds; `recursive` decides whether re-entry is counted or Misuse.
class LockModel : public ModelObject {
 public:
  LockModel(ObjectKind kind, std::string_view name, const Location& where)
      : ModelObject(kind, name, where), kind_(kind) {}
  void lock(const Location& where);
  bool try_lock(const Location& where);
  bool try_lock_for_ns(std::int64_t ns, const Location& where);
  void unlock(const Location& where);
  const char* type() const noexcept;

 private:
  bool acquire_or_misuse(Execution& ex, const Location& where, bool trying);
  ObjectKind kind_;
  unsigned depth_ = 0;
  ThreadId last_unlocker_ = kNoThread;
};
}  // namespace detail

class Mutex {
 public:
  explicit Mutex(Location where = Location::current())
      : model_(detail::ObjectKind::Mutex, {}, where) {}
  explicit Mutex(std::string_view name, Location where = Location::current())
      : model_(detail::ObjectKind::Mutex, name, where) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock(Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      m_.lock();
      return;
    }
    model_.lock(where);
  }
  bool try_lock(Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return m_.try_lock();
    return model_.try_lock(where);
  }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return m_.try_lock_for(detail::real_timeout(d));
    detail::Execution& ex = detail::model(model_.execution(), "Mutex", where);
    return model_.try_lock_for_ns(detail::deadline_after(ex, d) - detail::virtual_now(ex), where);
  }
  void unlock(Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      m_.unlock();
      return;
    }
    model_.unlock(where);
  }
  // The name used in traces and reports (default: "Mutex@file:line" of the declaration).
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  detail::LockModel model_;
  std::timed_mutex m_;
};

class RecursiveMutex {
 public:
  explicit RecursiveMutex(Location where = Location::current())
      : model_(detail::ObjectKind::RecursiveMutex, {}, where) {}
  explicit RecursiveMutex(std::string_view name, Location where = Location::current())
      : model_(detail::ObjectKind::RecursiveMutex, name, where) {}
  RecursiveMutex(const RecursiveMutex&) = delete;
  RecursiveMutex& operator=(const RecursiveMutex&) = delete;

  void lock(Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      m_.lock();
      return;
    }
    model_.lock(where);
  }
  bool try_lock(Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return m_.try_lock();
    return model_.try_lock(where);
  }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return m_.try_lock_for(detail::real_timeout(d));
    detail::Execution& ex = detail::model(model_.execution(), "RecursiveMutex", where);
    return model_.try_lock_for_ns(detail::deadline_after(ex, d) - detail::virtual_now(ex), where);
  }
  void unlock(Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      m_.unlock();
      return;
    }
    model_.unlock(where);
  }
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  detail::LockModel model_;
  std::recursive_timed_mutex m_;
};

}  // namespace weft
