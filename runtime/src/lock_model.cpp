// lock_model.cpp — the model of Mutex and RecursiveMutex (declared in weft/detail/model.hpp).
//
// The lock path is the hottest model operation after Shared accesses, so it lives in the
// runtime and uses the execution's inline members instead of one out-of-line seam call each.
#include <string>

#include <weft/detail/model.hpp>

#include "execution.hpp"

namespace weft::detail {

// Takes the lock if it is free or re-entrant; reports re-locking a non-recursive Mutex.
// Returns whether the calling thread now holds it.
bool LockModel::acquire_or_misuse(Execution& ex, const Location& where, bool trying) {
  const ThreadId me = ex.current_thread();
  const ThreadId holder = ex.owner(id());
  if (holder == kNoThread) {
    ex.set_owner(id(), me);
    depth_ = 1;
    ex.sync(id(), Sync::Acquire);
    ex.lock_event(ModelEvent::Kind::Acquired, id(), where);
    return true;
  }
  if (holder != me) return false;
  if (kind_ == ObjectKind::RecursiveMutex) {
    ++depth_;
    return true;
  }
  ex.fail(BugKind::Misuse,
          ex.thread_name(me) + (trying ? " try_locks " : " locks ") + ex.object_name(id()) +
              ", which it already holds (self-deadlock; use RecursiveMutex for re-entry) at " +
              location_text(where));
  return false;
}

void LockModel::lock(const char* file, unsigned line, const char* function) {
  const Location where{file, line, function};
  Execution& ex = model(execution(), type(), where);
  // The point first: during unwinding it returns at once, or throws again for a thread that
  // swallowed the exception ending it (see Fibers::continue_unwinding).
  ex.point(OpKind::Lock, id(), where);
  if (ex.unwinding()) return;
  if (ex.owner(id()) != ex.current_thread())
    ex.lock_event(ModelEvent::Kind::LockAttempt, id(), where);
  while (!acquire_or_misuse(ex, where, false)) {
    if (ex.unwinding()) return;
    ex.block_on(id());
    if (ex.unwinding()) return;
  }
}

bool LockModel::try_lock(const char* file, unsigned line, const char* function) {
  const Location where{file, line, function};
  Execution& ex = model(execution(), type(), where);
  ex.point(OpKind::TryLock, id(), where);
  if (ex.unwinding()) return false;
  const bool got = acquire_or_misuse(ex, where, true);
  if (ex.recording()) ex.trace_value(got ? "acquired" : "busy");
  return got;
}

bool LockModel::try_lock_for_ns(std::int64_t ns, const Location& where) {
  Execution& ex = model(execution(), type(), where);
  ex.point(OpKind::TryLock, id(), where);
  if (ex.unwinding()) return false;
  const std::int64_t deadline = ex.now() + (ns > 0 ? ns : 0);
  while (!acquire_or_misuse(ex, where, true)) {
    if (ex.unwinding()) return false;
    if (ex.now() >= deadline || ex.block_until(id(), deadline)) {
      // Timed out; one last attempt, as a real timed mutex makes at its deadline.
      if (acquire_or_misuse(ex, where, true)) break;
      if (ex.recording()) ex.trace_value("timed out");
      return false;
    }
  }
  if (ex.recording()) ex.trace_value("acquired");
  return true;
}

void LockModel::unlock(const char* file, unsigned line, const char* function) {
  const Location where{file, line, function};
  Execution& ex = model(execution(), type(), where);
  const ThreadId me = ex.current_thread();
  const ThreadId holder = ex.owner(id());
  if (ex.unwinding()) {
    if (holder == me && (kind_ != ObjectKind::RecursiveMutex || --depth_ == 0)) {
      ex.set_owner(id(), kNoThread);
      ex.wake_all(id());
    }
    return;
  }
  ex.unscheduled(OpKind::Unlock, id(), where);
  if (holder != me) {
    const std::string at = " at " + location_text(where);
    if (holder == kNoThread) {
      ex.fail_later(BugKind::Misuse, last_unlocker_ == me
                                         ? ex.thread_name(me) + " unlocks " + ex.object_name(id()) +
                                               " twice (double unlock)" + at
                                         : ex.thread_name(me) + " unlocks " + ex.object_name(id()) +
                                               ", which is not locked" + at);
    } else {
      ex.fail_later(BugKind::Misuse, ex.thread_name(me) + " unlocks " + ex.object_name(id()) +
                                         ", which is held by " + ex.thread_name(holder) +
                                         " (only the owner may unlock)" + at);
    }
    return;
  }
  if (kind_ == ObjectKind::RecursiveMutex && --depth_ > 0) return;
  depth_ = 0;
  ex.sync(id(), Sync::Release);
  ex.lock_event(ModelEvent::Kind::Unlock, id(), where);
  ex.set_owner(id(), kNoThread);
  last_unlocker_ = me;
  ex.wake_all(id());
}

}  // namespace weft::detail
