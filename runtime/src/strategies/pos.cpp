// POS (Yuan, Yang, Gu, CAV 2018, partial order sampling): every pending operation gets a random
// priority; the highest runs; after it runs, the pending operations that race with it (same
// object, not both reads) get fresh priorities. Keeping the priorities of the others samples the
// run's partial orders (what can differ between schedules) closer to uniformly, where picking
// threads at random weighs each partial order by how many interleavings it has.
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

class PosScheduler final : public SeededScheduler {
 public:
  using SeededScheduler::SeededScheduler;
  bool begin_execution(std::uint64_t iteration) override {
    SeededScheduler::begin_execution(iteration);
    priority_.clear();
    lowest_ = kYieldBand;
    return true;
  }
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    if (priority_.size() < ex.thread_count()) priority_.resize(ex.thread_count(), kUnset);
    for (ThreadId t : runnable) {
      if (priority_[t] == kUnset) priority_[t] = (rng_.next() >> 2) | kYieldBand;
    }
    // A yield goes below every random priority and below every earlier yield: two threads that
    // both spin with yield() take turns, where a shared lowest value let the lower id win every
    // tie and the other thread's pending yield never ran.
    if (yielding && current < priority_.size()) priority_[current] = --lowest_;
    const ThreadId best = highest_priority(runnable, priority_);
    const ObjectId object = ex.pending_object(best);
    const bool read = is_read(ex.pending_kind(best));
    priority_[best] = kUnset;
    if (object != kNoObject) {
      for (ThreadId t : runnable) {
        if (t == best || ex.pending_object(t) != object) continue;
        if (read && is_read(ex.pending_kind(t))) continue;
        priority_[t] = kUnset;
      }
    }
    return best;
  }
  std::string name() const override { return "pos"; }

 private:
  static constexpr std::uint64_t kUnset = ~0ull;
  // Random priorities are in [2^62, 2^63); yields count down from 2^62.
  static constexpr std::uint64_t kYieldBand = 1ull << 62;
  std::vector<std::uint64_t> priority_;
  std::uint64_t lowest_ = kYieldBand;
};

}  // namespace

std::unique_ptr<Scheduler> make_pos_scheduler(std::uint64_t seed) {
  return std::make_unique<PosScheduler>(seed);
}

}  // namespace weft::detail
