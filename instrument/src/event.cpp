#include <weft/event.hpp>

namespace weft {

void Event::set(Location where) { set_as(detail::OpKind::Set, nullptr, where); }

void Event::set_as(detail::OpKind kind, const char* value, const Location& where) {
  if (detail::production(model_.execution())) [[likely]] {
    {
      std::lock_guard lock(m_);
      flag_ = true;
      ++sets_;
    }
    cv_.notify_all();
    return;
  }
  detail::Execution& ex = detail::model(model_.execution(), "Event", where);
  detail::point(ex, kind, model_.id(), where);
  if (value != nullptr && detail::recording(ex)) detail::trace_value(ex, value);
  detail::sync(ex, model_.id(), detail::Sync::Release);
  flag_ = true;
  ++sets_;
  detail::wake_all(ex, model_.id());
}

void Event::clear(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::lock_guard lock(m_);
    flag_ = false;
    return;
  }
  detail::point(detail::model(model_.execution(), "Event", where), detail::OpKind::Clear,
                model_.id(), where);
  flag_ = false;
}

bool Event::is_set(Location where) const {
  if (detail::production(model_.execution())) [[likely]] {
    std::lock_guard lock(m_);
    return flag_;
  }
  detail::Execution& ex = detail::model(model_.execution(), "Event", where);
  detail::point(ex, detail::OpKind::IsSet, model_.id(), where);
  if (detail::recording(ex)) detail::trace_value(ex, flag_ ? "true" : "false");
  if (flag_) detail::sync(ex, model_.id(), detail::Sync::Acquire);
  return flag_;
}

void Event::wait(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    std::unique_lock lock(m_);
    const std::uint64_t seen = sets_;
    cv_.wait(lock, [&] { return flag_ || sets_ != seen; });
    return;
  }
  model_wait_until(-1, where);
}

bool Event::model_wait_until(std::int64_t deadline, const Location& where) {
  detail::Execution& ex = detail::model(model_.execution(), "Event", where);
  if (detail::unwinding(ex)) return flag_;
  detail::point(ex, detail::OpKind::Wait, model_.id(), where);
  const std::uint64_t seen = sets_;
  while (!flag_ && sets_ == seen) {
    if (deadline >= 0 && detail::virtual_now(ex) >= deadline) break;
    const bool timed_out = detail::block_until(ex, model_.id(), deadline);
    if (detail::unwinding(ex) || timed_out) break;
  }
  const bool woke = flag_ || sets_ != seen;
  if (detail::recording(ex)) detail::trace_value(ex, woke ? "set" : "timed out");
  if (woke) detail::sync(ex, model_.id(), detail::Sync::Acquire);
  return woke;
}

}  // namespace weft
