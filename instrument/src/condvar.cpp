#include <weft/condvar.hpp>

namespace weft {

void CondVar::init(std::string_view name, const Location& where) {
  ex_ = detail::current();
  if (ex_ == nullptr) return;
  id_ = detail::register_object(*ex_, detail::ObjectKind::CondVar, where);
  if (!name.empty()) detail::name_object(*ex_, id_, name);
}

void CondVar::set_name(std::string_view name) {
  if (ex_ != nullptr && ex_ == detail::current()) detail::name_object(*ex_, id_, name);
}

void CondVar::begin_wait(const Location& where) {
  detail::point(*ex_, detail::OpKind::Wait, id_, where);
}

bool CondVar::end_wait(std::int64_t deadline) {
  if (detail::unwinding(*ex_)) return true;
  return detail::block_until(*ex_, id_, deadline);
}

void CondVar::notify_one(Location where) {
  if (detail::production(ex_)) [[likely]] {
    cv_.notify_one();
    return;
  }
  detail::Execution& ex = detail::model(ex_, "CondVar", where);
  detail::point(ex, detail::OpKind::Notify, id_, where);
  const bool woke = detail::wake_one(ex, id_);
  if (detail::recording(ex)) detail::trace_value(ex, woke ? "woke a waiter" : "no waiter (lost)");
}

void CondVar::notify_all(Location where) {
  if (detail::production(ex_)) [[likely]] {
    cv_.notify_all();
    return;
  }
  detail::Execution& ex = detail::model(ex_, "CondVar", where);
  detail::point(ex, detail::OpKind::NotifyAll, id_, where);
  detail::wake_all(ex, id_);
}

}  // namespace weft
