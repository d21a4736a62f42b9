// The end of a schedule in which every unfinished thread is blocked: a snapshot of who waits for
// what, handed to checkers/ (diagnose_deadlock) to name the cycle. Kept apart from the
// scheduling loop it interrupts, which runs at every scheduling point.
#include <weft/detail/diagnosis.hpp>

#include "execution.hpp"

namespace weft::detail {

void Execution::deadlocked() {
  std::vector<BlockedThread> snapshot;
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    const ThreadState& t = threads_[i];
    if (t.status != ThreadStatus::Blocked) continue;
    BlockedThread b;
    b.id = static_cast<ThreadId>(i);
    b.name = thread_name(b.id);
    b.op = t.pending_kind;
    b.object_kind = objects_[t.waiting_on].kind;
    b.object = object_name(t.waiting_on);
    b.holder = objects_[t.waiting_on].owner;
    b.where = t.pending_where;
    snapshot.push_back(std::move(b));
  }
  Diagnosis d = diagnose_deadlock(snapshot);
  fail(BugKind::Deadlock, std::move(d.message), std::move(d.details), std::move(d.sites));
}

}  // namespace weft::detail
