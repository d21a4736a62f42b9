// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): threads get random distinct
// priorities; the highest-priority runnable thread runs; at d-1 random steps in [1, k] the
// running thread drops below every initial priority. A bug that needs d ordering constraints is
// then found with probability at least 1/(n k^(d-1)), much better than random for shallow bugs
// in long runs. k, the expected number of steps, is estimated before exploring from a few random
// probe runs of the body, so that every schedule is a function of (seed, iteration) alone —
// whichever process runs it.
#include <algorithm>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

class PctScheduler final : public SeededScheduler {
 public:
  PctScheduler(std::uint64_t seed, int depth) : SeededScheduler(seed), depth_(std::max(depth, 1)) {}
  bool begin_execution(std::uint64_t iteration) override {
    SeededScheduler::begin_execution(iteration);
    priority_.clear();
    change_points_.clear();
    step_ = 0;
    lowest_ = 0;
    const std::uint64_t k = std::max<std::uint64_t>(k_estimate_, 1);
    for (int i = 1; i < depth_; ++i) {
      change_points_.push_back(1 + (rng_.next() % k));
    }
    return true;
  }
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    ++step_;
    ensure(runnable.back());
    for (std::size_t i = 0; i < change_points_.size(); ++i) {
      // Change point i lowers the running thread to priority i+1: below all initial ones.
      if (change_points_[i] == step_ && current < priority_.size()) {
        priority_[current] = static_cast<std::int64_t>(i) + 1;
      }
    }
    if (yielding && current < priority_.size()) priority_[current] = --lowest_;
    return highest_priority(runnable, priority_);
  }
  void set_step_estimate(std::uint64_t steps) override { k_estimate_ = steps; }
  std::string name() const override { return "pct"; }

 private:
  void ensure(ThreadId max_id) {
    while (priority_.size() <= max_id) {
      // Random initial priorities far above the change-point band; distinct with
      // overwhelming probability, ties broken by id.
      priority_.push_back(static_cast<std::int64_t>((rng_.next() >> 2) | (1ull << 61)));
    }
  }
  int depth_;
  std::vector<std::int64_t> priority_;
  std::vector<std::uint64_t> change_points_;
  std::uint64_t step_ = 0;
  std::uint64_t k_estimate_ = 0;
  std::int64_t lowest_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_pct_scheduler(std::uint64_t seed, int depth) {
  return std::make_unique<PctScheduler>(seed, depth);
}

}  // namespace weft::detail
