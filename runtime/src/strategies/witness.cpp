// The witness strategy: random, but steering toward the acquisition orders of one lock-order
// cycle, to turn a predicted deadlock (LockOrderInversion) into a real one with a schedule that
// shows it. A thread about to take a free lock of the cycle goes first, and a thread that holds
// one and wants another waits, so that each thread grabs its first lock before the others
// release theirs — the crossing that plain random schedules rarely hit.
#include <algorithm>
#include <string>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

// Seeded apart from the numbered schedules (the exploration's seed, changed), so that its tries
// are not those schedules over again.
class WitnessScheduler final : public SeededScheduler {
 public:
  WitnessScheduler(std::uint64_t seed, std::vector<std::string> locks)
      : SeededScheduler(seed ^ 0x5eed5eedull), locks_(std::move(locks)) {
    for (std::string& l : locks_) {
      if (const auto hash = l.rfind('#'); hash != std::string::npos) l.resize(hash);
    }
  }
  // Three classes, best first: a thread about to take its first lock of the cycle; a thread
  // doing anything else; a thread that holds a lock of the cycle and wants another (it waits,
  // so that the others can take their first locks and the orders cross).
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    for (auto& c : classes_) c.clear();
    for (ThreadId t : runnable) {
      if (yielding && t == current && runnable.size() > 1) continue;
      const ObjectId o = ex.pending_object(t);
      const bool cycle_lock =
          ex.pending_kind(t) == OpKind::Lock && o != kNoObject && in_cycle(ex.object_name(o));
      if (!cycle_lock) {
        classes_[1].push_back(t);
      } else if (holds_cycle_lock(ex, t)) {
        classes_[2].push_back(t);
      } else {
        classes_[ex.owner(o) == kNoThread ? 0 : 1].push_back(t);
      }
    }
    for (const auto& c : classes_) {
      if (!c.empty()) return c[rng_.below(static_cast<std::uint32_t>(c.size()))];
    }
    return runnable[0];
  }
  std::string name() const override { return "witness"; }

 private:
  bool in_cycle(const std::string& name) const {
    return std::find(locks_.begin(), locks_.end(), name) != locks_.end();
  }
  bool holds_cycle_lock(const Execution& ex, ThreadId t) const {
    const auto& objects = ex.objects();
    for (std::size_t o = 0; o < objects.size(); ++o) {
      if (objects[o].owner == t && objects[o].kind != ObjectKind::Thread &&
          in_cycle(ex.object_name(static_cast<ObjectId>(o)))) {
        return true;
      }
    }
    return false;
  }

  std::vector<std::string> locks_;
  std::vector<ThreadId> classes_[3];
};

}  // namespace

std::unique_ptr<Scheduler> make_witness_scheduler(std::uint64_t seed,
                                                  std::vector<std::string> locks) {
  return std::make_unique<WitnessScheduler>(seed, std::move(locks));
}

}  // namespace weft::detail
