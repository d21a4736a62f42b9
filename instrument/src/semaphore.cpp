#include <stdexcept>
#include <string>

#include <weft/semaphore.hpp>

namespace weft {

Semaphore::Semaphore(std::ptrdiff_t initial, std::string_view name, const Location& where,
                     detail::ObjectKind kind, bool bounded)
    : model_(kind, name, where), count_(initial), initial_(initial), bounded_(bounded) {
  if (initial < 0) throw std::invalid_argument("weft::Semaphore: initial value must be >= 0");
}

void Semaphore::acquire(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return count_ > 0; });
    --count_;
    return;
  }
  model_acquire_until(-1, where);
}

bool Semaphore::try_acquire(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::lock_guard lock(m_);
    if (count_ == 0) return false;
    --count_;
    return true;
  }
  detail::Execution& ex = detail::model(model_.execution(), type(), where);
  if (detail::unwinding(ex)) return false;
  detail::point(ex, detail::OpKind::Acquire, model_.id(), where);
  const bool got = count_ > 0;
  if (got) {
    --count_;
    detail::sync(ex, model_.id(), detail::Sync::Acquire);
  }
  if (detail::recording(ex)) detail::trace_value(ex, got ? "acquired" : "none left");
  return got;
}

bool Semaphore::model_acquire_until(std::int64_t deadline, const Location& where) {
  detail::Execution& ex = detail::model(model_.execution(), type(), where);
  if (detail::unwinding(ex)) return false;
  detail::point(ex, detail::OpKind::Acquire, model_.id(), where);
  while (count_ == 0) {
    if (deadline >= 0 && detail::virtual_now(ex) >= deadline) {
      if (detail::recording(ex)) detail::trace_value(ex, "timed out");
      return false;
    }
    const bool timed_out = detail::block_until(ex, model_.id(), deadline);
    if (detail::unwinding(ex)) return false;
    if (timed_out && count_ == 0) {
      if (detail::recording(ex)) detail::trace_value(ex, "timed out");
      return false;
    }
  }
  --count_;
  detail::sync(ex, model_.id(), detail::Sync::Acquire);
  if (detail::recording(ex)) detail::trace_value(ex, "count now " + std::to_string(count_));
  return true;
}

void Semaphore::release(std::ptrdiff_t n, Location where) {
  if (n < 0) throw std::invalid_argument("weft::Semaphore::release: n must be >= 0");
  if (detail::production(model_.execution())) [[likely]] {
    {
      std::lock_guard lock(m_);
      if (bounded_ && count_ + n > initial_) {
        throw std::logic_error("weft::BoundedSemaphore released too many times (value would be " +
                               std::to_string(count_ + n) + ", bound " + std::to_string(initial_) +
                               ")");
      }
      count_ += n;
    }
    if (n == 1) {
      cv_.notify_one();
    } else {
      cv_.notify_all();
    }
    return;
  }
  detail::Execution& ex = detail::model(model_.execution(), type(), where);
  if (detail::unwinding(ex)) return;
  detail::unscheduled(ex, detail::OpKind::Release, model_.id(), where);
  if (bounded_ && count_ + n > initial_) {
    detail::fail_later(ex, BugKind::Misuse,
                       detail::thread_name(ex, detail::current_thread(ex)) + " releases " +
                           detail::object_name(ex, model_.id()) + " above its initial value " +
                           std::to_string(initial_) + " (released more often than acquired) at " +
                           detail::location_text(where));
    return;
  }
  count_ += n;
  detail::sync(ex, model_.id(), detail::Sync::Release);
  if (detail::recording(ex)) detail::trace_value(ex, "count now " + std::to_string(count_));
  if (n > 0) detail::wake_all(ex, model_.id());
}

std::ptrdiff_t Semaphore::value() const {
  if (detail::production(model_.execution())) {
    std::lock_guard lock(m_);
    return count_;
  }
  detail::model(model_.execution(), type(), Location{});
  return count_;
}

}  // namespace weft
