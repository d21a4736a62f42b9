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
  using SeededScheduler::SeededScheduler;
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    if (runnable.size() == 1) return runnable[0];
    if (yielding) {
      std::uint32_t r = rng_.below(static_cast<std::uint32_t>(runnable.size()) - 1);
      for (ThreadId t : runnable) {
        if (t != current && r-- == 0) return t;
      }
    }
    return runnable[rng_.below(static_cast<std::uint32_t>(runnable.size()))];
  }
  std::string name() const override { return "random"; }
};

}  // namespace

std::unique_ptr<Scheduler> make_random_scheduler(std::uint64_t seed) {
  return std::make_unique<RandomScheduler>(seed);
}

}  // namespace weft::detail
