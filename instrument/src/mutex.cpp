#include <string>

#include <weft/mutex.hpp>

namespace weft::detail {

LockModel::LockModel(ObjectKind kind, std::string_view name, const Location& where)
    : ex_(current()), kind_(kind) {
  if (ex_ == nullptr) return;
  id_ = register_object(*ex_, kind, where);
  if (!name.empty()) name_object(*ex_, id_, name);
}

const char* LockModel::type() const noexcept {
  return kind_ == ObjectKind::Mutex ? "Mutex" : "RecursiveMutex";
}

void LockModel::set_name(std::string_view name) {
  if (ex_ != nullptr && ex_ == current()) name_object(*ex_, id_, name);
}

// Takes the lock if it is free or re-entrant; reports re-locking a non-recursive Mutex.
// Returns whether the calling thread now holds it.
bool LockModel::acquire_or_misuse(Execution& ex, const Location& where, bool trying) {
  const ThreadId me = current_thread(ex);
  const ThreadId holder = owner(ex, id_);
  if (holder == kNoThread) {
    set_owner(ex, id_, me);
    depth_ = 1;
    return true;
  }
  if (holder != me) return false;
  if (kind_ == ObjectKind::RecursiveMutex) {
    ++depth_;
    return true;
  }
  fail(ex, BugKind::Misuse,
       thread_name(ex, me) + (trying ? " try_locks " : " locks ") + object_name(ex, id_) +
           ", which it already holds (self-deadlock; use RecursiveMutex for re-entry) at " +
           location_text(where));
  return false;
}

void LockModel::lock(const Location& where) {
  Execution& ex = model(ex_, type(), where);
  if (unwinding(ex)) return;
  point(ex, OpKind::Lock, id_, where);
  while (!acquire_or_misuse(ex, where, false)) {
    if (unwinding(ex)) return;
    block_on(ex, id_);
    if (unwinding(ex)) return;
  }
}

bool LockModel::try_lock(const Location& where) {
  Execution& ex = model(ex_, type(), where);
  if (unwinding(ex)) return false;
  point(ex, OpKind::TryLock, id_, where);
  const bool got = acquire_or_misuse(ex, where, true);
  if (recording(ex)) trace_value(ex, got ? "acquired" : "busy");
  return got;
}

bool LockModel::try_lock_for_ns(std::int64_t ns, const Location& where) {
  Execution& ex = model(ex_, type(), where);
  if (unwinding(ex)) return false;
  point(ex, OpKind::TryLock, id_, where);
  const std::int64_t deadline = virtual_now(ex) + (ns > 0 ? ns : 0);
  while (!acquire_or_misuse(ex, where, true)) {
    if (unwinding(ex)) return false;
    if (virtual_now(ex) >= deadline || block_until(ex, id_, deadline)) {
      // Timed out; one last attempt, as a real timed mutex makes at its deadline.
      if (acquire_or_misuse(ex, where, true)) break;
      if (recording(ex)) trace_value(ex, "timed out");
      return false;
    }
  }
  if (recording(ex)) trace_value(ex, "acquired");
  return true;
}

void LockModel::unlock(const Location& where) {
  Execution& ex = model(ex_, type(), where);
  const ThreadId me = current_thread(ex);
  const ThreadId holder = owner(ex, id_);
  if (unwinding(ex)) {
    if (holder == me && (kind_ != ObjectKind::RecursiveMutex || --depth_ == 0)) {
      set_owner(ex, id_, kNoThread);
      wake_all(ex, id_);
    }
    return;
  }
  event(ex, OpKind::Unlock, id_, where);
  if (holder != me) {
    const std::string at = " at " + location_text(where);
    if (holder == kNoThread) {
      fail_later(ex, BugKind::Misuse,
                 last_unlocker_ == me ? thread_name(ex, me) + " unlocks " + object_name(ex, id_) +
                                            " twice (double unlock)" + at
                                      : thread_name(ex, me) + " unlocks " + object_name(ex, id_) +
                                            ", which is not locked" + at);
    } else {
      fail_later(ex, BugKind::Misuse,
                 thread_name(ex, me) + " unlocks " + object_name(ex, id_) + ", which is held by " +
                     thread_name(ex, holder) + " (only the owner may unlock)" + at);
    }
    return;
  }
  if (kind_ == ObjectKind::RecursiveMutex && --depth_ > 0) return;
  depth_ = 0;
  set_owner(ex, id_, kNoThread);
  last_unlocker_ = me;
  wake_all(ex, id_);
}

}  // namespace weft::detail
