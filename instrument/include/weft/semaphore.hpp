// weft/semaphore.hpp — Semaphore and BoundedSemaphore (Python threading.Semaphore and
// threading.BoundedSemaphore).
//
// Model: acquire / try_acquire / try_acquire_for are scheduling points; release is not (like
// unlock, it runs in RAII guards' destructors). A BoundedSemaphore released above its initial
// value is a Misuse bug; in production it throws std::logic_error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string_view>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>

namespace weft {

class Semaphore {
 public:
  explicit Semaphore(std::ptrdiff_t initial, Location where = Location::current())
      : Semaphore(initial, {}, where) {}
  Semaphore(std::ptrdiff_t initial, std::string_view name, Location where = Location::current())
      : Semaphore(initial, name, where, detail::ObjectKind::Semaphore, false) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  void acquire(Location where = Location::current());
  bool try_acquire(Location where = Location::current());
  template <class Rep, class Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      std::unique_lock lock(m_);
      if (!cv_.wait_for(lock, detail::real_timeout(d), [&] { return count_ > 0; })) return false;
      --count_;
      return true;
    }
    detail::Execution& ex = detail::model(model_.execution(), type(), where);
    return model_acquire_until(detail::deadline_after(ex, d), where);
  }
  void release(std::ptrdiff_t n = 1, Location where = Location::current());
  // The current count (racy by nature in production; exact in the model).
  std::ptrdiff_t value() const;
  void set_name(std::string_view name) { model_.rename(name); }

 protected:
  Semaphore(std::ptrdiff_t initial, std::string_view name, const Location& where,
            detail::ObjectKind kind, bool bounded);

 private:
  const char* type() const noexcept { return bounded_ ? "BoundedSemaphore" : "Semaphore"; }
  // Returns false on timeout; deadline -1 = none.
  bool model_acquire_until(std::int64_t deadline, const Location& where);

  detail::ModelObject model_;
  std::ptrdiff_t count_;
  std::ptrdiff_t initial_;
  bool bounded_;
  mutable std::mutex m_;
  std::condition_variable cv_;
};

class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::ptrdiff_t initial, Location where = Location::current())
      : Semaphore(initial, {}, where, detail::ObjectKind::BoundedSemaphore, true) {}
  BoundedSemaphore(std::ptrdiff_t initial, std::string_view name,
                   Location where = Location::current())
      : Semaphore(initial, name, where, detail::ObjectKind::BoundedSemaphore, true) {}
};

}  // namespace weft
