// weft/locks.hpp — std::lock_guard, std::unique_lock and single-mutex std::scoped_lock for weft
// mutexes, specialised so that the lock operations they perform carry the user's source line
// into traces (a defaulted Location argument on their constructors). Behaviour is exactly the
// standard one; [namespace.std] allows specialisations that depend on a program-defined type.
#pragma once

#include <chrono>
#include <mutex>
#include <system_error>
#include <utility>

#include <weft/mutex.hpp>

namespace weft::detail {

template <class M>
class LockGuard {
 public:
  using mutex_type = M;
  explicit LockGuard(M& m, Location where = Location::current()) : m_(m), where_(where) {
    m_.lock(where);
  }
  LockGuard(M& m, std::adopt_lock_t, Location where = Location::current()) noexcept
      : m_(m), where_(where) {}
  ~LockGuard() { m_.unlock(where_); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  M& m_;
  Location where_;
};

template <class M>
class UniqueLock {
 public:
  using mutex_type = M;
  UniqueLock() noexcept = default;
  explicit UniqueLock(M& m, Location where = Location::current()) : m_(&m), where_(where) {
    m.lock(where);
    owns_ = true;
  }
  UniqueLock(M& m, std::defer_lock_t) noexcept : m_(&m) {}
  UniqueLock(M& m, std::try_to_lock_t, Location where = Location::current())
      : m_(&m), where_(where) {
    owns_ = m.try_lock(where);
  }
  UniqueLock(M& m, std::adopt_lock_t) noexcept : m_(&m), owns_(true) {}
  template <class Rep, class Period>
  UniqueLock(M& m, const std::chrono::duration<Rep, Period>& d,
             Location where = Location::current())
      : m_(&m), where_(where) {
    owns_ = m.try_lock_for(d, where);
  }
  UniqueLock(UniqueLock&& o) noexcept
      : m_(std::exchange(o.m_, nullptr)), owns_(std::exchange(o.owns_, false)), where_(o.where_) {}
  UniqueLock& operator=(UniqueLock&& o) noexcept {
    if (owns_) m_->unlock(where_);
    m_ = std::exchange(o.m_, nullptr);
    owns_ = std::exchange(o.owns_, false);
    where_ = o.where_;
    return *this;
  }
  ~UniqueLock() {
    if (owns_) m_->unlock(where_);
  }
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock(Location where = Location::current()) {
    check(true);
    m_->lock(where);
    owns_ = true;
    where_ = where;
  }
  bool try_lock(Location where = Location::current()) {
    check(true);
    owns_ = m_->try_lock(where);
    return owns_;
  }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d,
                    Location where = Location::current()) {
    check(true);
    owns_ = m_->try_lock_for(d, where);
    return owns_;
  }
  void unlock(Location where = Location::current()) {
    check(false);
    m_->unlock(where);
    owns_ = false;
  }
  void swap(UniqueLock& o) noexcept {
    std::swap(m_, o.m_);
    std::swap(owns_, o.owns_);
    std::swap(where_, o.where_);
  }
  M* release() noexcept {
    owns_ = false;
    return std::exchange(m_, nullptr);
  }
  bool owns_lock() const noexcept { return owns_; }
  explicit operator bool() const noexcept { return owns_; }
  M* mutex() const noexcept { return m_; }

 private:
  void check(bool locking) const {
    if (m_ == nullptr)
      throw std::system_error(std::make_error_code(std::errc::operation_not_permitted));
    if (locking == owns_) {
      throw std::system_error(std::make_error_code(
          locking ? std::errc::resource_deadlock_would_occur : std::errc::operation_not_permitted));
    }
  }
  M* m_ = nullptr;
  bool owns_ = false;
  Location where_{};  // of the last lock: unlocks from the destructor are traced there
};

}  // namespace weft::detail

namespace std {

#define WEFT_SPECIALIZE_LOCKS(M)                                                          \
  template <>                                                                             \
  class lock_guard<M> : public ::weft::detail::LockGuard<M> {                             \
   public:                                                                                \
    using ::weft::detail::LockGuard<M>::LockGuard;                                        \
  };                                                                                      \
  template <>                                                                             \
  class scoped_lock<M> : public ::weft::detail::LockGuard<M> {                            \
   public:                                                                                \
    using ::weft::detail::LockGuard<M>::LockGuard;                                        \
    scoped_lock(adopt_lock_t, M& m, ::weft::Location where = ::weft::Location::current()) \
        : ::weft::detail::LockGuard<M>(m, adopt_lock, where) {}                           \
  };                                                                                      \
  template <>                                                                             \
  class unique_lock<M> : public ::weft::detail::UniqueLock<M> {                           \
   public:                                                                                \
    using ::weft::detail::UniqueLock<M>::UniqueLock;                                      \
    unique_lock() noexcept = default;                                                     \
    unique_lock(unique_lock&&) noexcept = default;                                        \
    unique_lock& operator=(unique_lock&&) noexcept = default;                             \
  };                                                                                      \
  inline void swap(unique_lock<M>& a, unique_lock<M>& b) noexcept { a.swap(b); }

WEFT_SPECIALIZE_LOCKS(::weft::Mutex)
WEFT_SPECIALIZE_LOCKS(::weft::RecursiveMutex)
#undef WEFT_SPECIALIZE_LOCKS

}  // namespace std
