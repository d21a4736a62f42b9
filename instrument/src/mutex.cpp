#include <string>

#include <weft/mutex.hpp>

namespace weft::detail {

// Takes the lock if it is free or re-entrant; reports re-locking a non-recursive Mutex.
// Returns whether the calling thread now holds it.
bool LockModel::acquire_or_misuse(Execution& ex, const Location& where, bool trying) {
  const ThreadId me = current_thread(ex);
  const ThreadId holder = owner(ex, id());
  if (holder == kNoThread) {
    set_owner(ex, id(), me);
    depth_ = 1;
    sync(ex, id(), Sync::Acquire);
    lock_acquired(ex, id(), where);
    return true;
  }
  if (holder != me) return false;
  if (kind_ == ObjectKind::RecursiveMutex) {
    ++depth_;
    return true;
  }
  fail(ex, BugKind::Misuse,
       thread_name(ex, me) + (trying ? " try_locks " : " locks ") + object_name(ex, id()) +
           ", which it already holds (self-deadlock; use RecursiveMutex for re-entry) at " +
           location_text(where));
  return false;
}

void LockModel::lock(const char* file, unsigned line, const char* function) {
  const Location where{file, line, function};
  Execution& ex = model(execution(), type(), where);
  if (unwinding(ex)) return;
  point(ex, OpKind::Lock, id(), where);
  if (owner(ex, id()) != current_thread(ex)) lock_attempt(ex, id(), where);
  while (!acquire_or_misuse(ex, where, false)) {
    if (unwinding(ex)) return;
    block_on(ex, id());
    if (unwinding(ex)) return;
  }
}

bool LockModel::try_lock(const char* file, unsigned line, const char* function) {
  const Location where{file, line, function};
  Execution& ex = model(execution(), type(), where);
  if (unwinding(ex)) return false;
  point(ex, OpKind::TryLock, id(), where);
  const bool got = acquire_or_misuse(ex, where, true);
  if (recording(ex)) trace_value(ex, got ? "acquired" : "busy");
  return got;
}

bool LockModel::try_lock_for_ns(std::int64_t ns, const Location& where) {
  Execution& ex = model(execution(), type(), where);
  if (unwinding(ex)) return false;
  point(ex, OpKind::TryLock, id(), where);
  const std::int64_t deadline = virtual_now(ex) + (ns > 0 ? ns : 0);
  while (!acquire_or_misuse(ex, where, true)) {
    if (unwinding(ex)) return false;
    if (virtual_now(ex) >= deadline || block_until(ex, id(), deadline)) {
      // Timed out; one last attempt, as a real timed mutex makes at its deadline.
      if (acquire_or_misuse(ex, where, true)) break;
      if (recording(ex)) trace_value(ex, "timed out");
      return false;
    }
  }
  if (recording(ex)) trace_value(ex, "acquired");
  return true;
}

void LockModel::unlock(const char* file, unsigned line, const char* function) {
  const Location where{file, line, function};
  Execution& ex = model(execution(), type(), where);
  const ThreadId me = current_thread(ex);
  const ThreadId holder = owner(ex, id());
  if (unwinding(ex)) {
    if (holder == me && (kind_ != ObjectKind::RecursiveMutex || --depth_ == 0)) {
      set_owner(ex, id(), kNoThread);
      wake_all(ex, id());
    }
    return;
  }
  event(ex, OpKind::Unlock, id(), where);
  if (holder != me) {
    const std::string at = " at " + location_text(where);
    if (holder == kNoThread) {
      fail_later(ex, BugKind::Misuse,
                 last_unlocker_ == me ? thread_name(ex, me) + " unlocks " + object_name(ex, id()) +
                                            " twice (double unlock)" + at
                                      : thread_name(ex, me) + " unlocks " + object_name(ex, id()) +
                                            ", which is not locked" + at);
    } else {
      fail_later(ex, BugKind::Misuse,
                 thread_name(ex, me) + " unlocks " + object_name(ex, id()) + ", which is held by " +
                     thread_name(ex, holder) + " (only the owner may unlock)" + at);
    }
    return;
  }
  if (kind_ == ObjectKind::RecursiveMutex && --depth_ > 0) return;
  depth_ = 0;
  sync(ex, id(), Sync::Release);
  lock_released(ex, id(), where);
  set_owner(ex, id(), kNoThread);
  last_unlocker_ = me;
  wake_all(ex, id());
}

}  // namespace weft::detail
