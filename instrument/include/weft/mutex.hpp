// weft/mutex.hpp — Mutex and RecursiveMutex (Python Lock and RLock).
//
// Production: std::timed_mutex / std::recursive_timed_mutex, one predictable branch away, plus
// one relaxed load of a word that says whether model objects exist or lockdep
// (weft/lockdep.hpp) is on.
// Model: lock and try_lock are scheduling points; unlock is not (nothing can observe the
// difference, and it runs in destructors). Misuse — unlock by a non-owner, double unlock,
// re-locking a Mutex the thread already holds — is reported as a bug.
#pragma once

#include <chrono>
#include <mutex>
#include <string_view>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>
#include <weft/lockdep.hpp>

namespace weft {

namespace detail {
// Both mutex kinds: the real `Real` mutex in production, LockModel in the model.
template <class Real, ObjectKind Kind>
class BasicMutex {
 public:
  explicit BasicMutex(Location where = Location::current())
      : model_(Kind, {}, where), class_file_(where.file), class_line_(where.line) {}
  explicit BasicMutex(std::string_view name, Location where = Location::current())
      : model_(Kind, name, where), class_file_(where.file), class_line_(where.line) {
    if (current() == nullptr && !name.empty()) {
      class_file_ = lockdep_intern_name(name);
      class_line_ = 0;
    }
  }
  BasicMutex(const BasicMutex&) = delete;
  BasicMutex& operator=(const BasicMutex&) = delete;
  // weft's own mutexes (in pools and futures): their steps are folded in traces.
  friend void mark_internal(BasicMutex& m) { m.model_.mark_internal(); }

  void lock(Location where = Location::current()) {
    if (current() == nullptr) [[likely]] {
      // Before blocking: an inversion that deadlocks right here is still reported.
      if (production_hooks()) [[unlikely]]
        before_lock(where.file, where.line, where.function);
      m_.lock();
      return;
    }
    model_.lock(where.file, where.line, where.function);
  }
  bool try_lock(Location where = Location::current()) {
    if (current() == nullptr) [[likely]] {
      const bool got = m_.try_lock();
      if (production_hooks()) [[unlikely]]
        after_try_lock(got, where.file, where.line, where.function);
      return got;
    }
    return model_.try_lock(where.file, where.line, where.function);
  }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
    if (current() == nullptr) [[likely]] {
      const bool got = m_.try_lock_for(real_timeout(d));
      if (production_hooks()) [[unlikely]]
        after_try_lock(got, where.file, where.line, where.function);
      return got;
    }
    Execution& ex = model(model_.execution(), kType, where);
    return model_.try_lock_for_ns(deadline_after(ex, d) - virtual_now(ex), where);
  }
  void unlock(Location where = Location::current()) {
    if (current() == nullptr) [[likely]] {
      // Checked first: a model object's real mutex was never locked.
      if (production_hooks()) [[unlikely]]
        before_unlock(where.file, where.line, where.function);
      m_.unlock();
      return;
    }
    model_.unlock(where.file, where.line, where.function);
  }
  // The name used in traces and reports (default: "Mutex@file:line" of the declaration).
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  static constexpr const char* kType = Kind == ObjectKind::Mutex ? "Mutex" : "RecursiveMutex";

  // The production path's optional checks, off the fast path (which reads one word to know
  // whether any is needed): a model object used in production is a UsageError, and lockdep
  // records the acquisition or release.
  [[gnu::cold, gnu::noinline]] void before_lock(const char* file, unsigned line,
                                                const char* function) {
    check_not_model(model_, kType, file, line, function);
    if (lockdep_on())
      lockdep_acquire(this, kType, class_file_, class_line_, file, line, function, true);
  }
  [[gnu::cold, gnu::noinline]] void after_try_lock(bool got, const char* file, unsigned line,
                                                   const char* function) {
    check_not_model(model_, kType, file, line, function);
    if (got && lockdep_on())
      lockdep_acquire(this, kType, class_file_, class_line_, file, line, function, false);
  }
  [[gnu::cold, gnu::noinline]] void before_unlock(const char* file, unsigned line,
                                                  const char* function) {
    check_not_model(model_, kType, file, line, function);
    if (lockdep_on()) lockdep_release(this);
  }
  LockModel model_;
  // The lock's class for lockdep: where it was constructed, or (line 0) its interned name.
  const char* class_file_;
  unsigned class_line_;
  Real m_;
};
}  // namespace detail

// Python's Lock: not re-entrant; re-locking it from its owner is a Misuse bug in the model.
// The constructors are spelled out rather than inherited: an inherited constructor's default
// arguments are evaluated where the using-declaration is, so every lock would be declared here.
class Mutex : public detail::BasicMutex<std::timed_mutex, detail::ObjectKind::Mutex> {
 public:
  explicit Mutex(Location where = Location::current()) : BasicMutex(where) {}
  explicit Mutex(std::string_view name, Location where = Location::current())
      : BasicMutex(name, where) {}
};

// Python's RLock: the owner may lock it again; it is released by as many unlocks.
class RecursiveMutex
    : public detail::BasicMutex<std::recursive_timed_mutex, detail::ObjectKind::RecursiveMutex> {
 public:
  explicit RecursiveMutex(Location where = Location::current()) : BasicMutex(where) {}
  explicit RecursiveMutex(std::string_view name, Location where = Location::current())
      : BasicMutex(name, where) {}
};

}  // namespace weft
