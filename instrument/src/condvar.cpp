#include <weft/condvar.hpp>

namespace weft {

void CondVar::begin_wait(const Location& where) {
  detail::point(*model_.execution(), detail::OpKind::Wait, model_.id(), where);
}

bool CondVar::end_wait(std::int64_t deadline, const Location& where) {
  if (detail::unwinding(*model_.execution())) return true;
  if (detail::spurious_wakeups(*model_.execution()) &&
      detail::choose(*model_.execution(), 2) == 1) {
    // A row of its own: the last traced operation is the unlock of the wait's lock.
    detail::unscheduled(*model_.execution(), detail::OpKind::Wait, model_.id(), where);
    if (detail::recording(*model_.execution()))
      detail::trace_value(*model_.execution(), "spurious wake-up");
    return false;
  }
  const bool timed_out = detail::block_until(*model_.execution(), model_.id(), deadline);
  // Only a notify that woke this waiter orders it; a timeout carries no happens-before.
  if (!timed_out) detail::sync(*model_.execution(), model_.id(), detail::Sync::Acquire);
  return timed_out;
}

void CondVar::notify_one(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    cv_.notify_one();
    return;
  }
  detail::Execution& ex = detail::model(model_.execution(), "CondVar", where);
  detail::point(ex, detail::OpKind::Notify, model_.id(), where);
  detail::sync(ex, model_.id(), detail::Sync::Release);
  const bool woke = detail::wake_one(ex, model_.id());
  if (detail::recording(ex)) detail::trace_value(ex, woke ? "woke a waiter" : "no waiter");
}

void CondVar::notify_all(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    cv_.notify_all();
    return;
  }
  detail::Execution& ex = detail::model(model_.execution(), "CondVar", where);
  detail::point(ex, detail::OpKind::NotifyAll, model_.id(), where);
  detail::sync(ex, model_.id(), detail::Sync::Release);
  detail::wake_all(ex, model_.id());
}

}  // namespace weft
