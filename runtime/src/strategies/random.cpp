// The random strategy: uniformly random among the runnable threads, from an Rng seeded by
// (seed, iteration), so that any schedule can be regenerated from its number alone. It assumes
// nothing about the body, which is why the probes that estimate PCT's step count use it too.
#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

// A yielding thread steps aside when another thread can run, so spin loops with yield() always
// make progress.
class RandomScheduler final : public SeededScheduler {
 public:
  RandomScheduler(std::uint64_t seed, bool spawner_first)
      : SeededScheduler(seed), spawner_first_(spawner_first) {}
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    if (runnable.size() == 1) return runnable[0];
    // The spawner-first variant: a thread about to start another goes on, so a loop that starts
    // N threads starts them all before any of them runs (as a fast parent does on real cores),
    // and the random walk begins among all of them. Without it the first threads started are
    // usually done before the last one exists.
    if (spawner_first_ && !yielding && ex.pending_kind(current) == OpKind::Spawn) {
      for (const ThreadId t : runnable) {
        if (t == current) return t;
      }
    }
    if (yielding) {
      std::uint32_t r = rng_.below(static_cast<std::uint32_t>(runnable.size()) - 1);
      for (ThreadId t : runnable) {
        if (t != current && r-- == 0) return t;
      }
    }
    return runnable[rng_.below(static_cast<std::uint32_t>(runnable.size()))];
  }
  std::string name() const override { return "random"; }

 private:
  bool spawner_first_;
};

}  // namespace

std::unique_ptr<Scheduler> make_random_scheduler(std::uint64_t seed) {
  return std::make_unique<RandomScheduler>(seed, false);
}

std::unique_ptr<Scheduler> make_spawner_first_scheduler(std::uint64_t seed) {
  return std::make_unique<RandomScheduler>(seed, true);
}

}  // namespace weft::detail
