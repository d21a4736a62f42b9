// Exhaustive depth-first search by re-execution: the path of (choice, options) pairs of the last
// run is replayed up to its deepest unexplored branch, which is then advanced. It is the one
// strategy that can prove a (bounded) body free of schedule-dependent bugs: when its space is
// exhausted, every schedule was run. With a preemption bound, switching away from a runnable
// thread that did not yield counts against it, which keeps the space small while still covering
// the few-preemption schedules that most bugs need. Each schedule depends on the one before, so
// DFS schedules are never split among worker processes.
#include <algorithm>
#include <string>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

class DfsScheduler final : public Scheduler {
 public:
  explicit DfsScheduler(int preemption_bound) : bound_(preemption_bound) {}
  bool begin_execution(std::uint64_t iteration) override {
    depth_ = 0;
    preemptions_ = 0;
    diverged_.clear();
    if (iteration == 1) {
      path_.clear();
      return true;
    }
    while (!path_.empty() && path_.back().chosen + 1 >= path_.back().options) path_.pop_back();
    if (path_.empty()) return false;
    ++path_.back().chosen;
    return true;
  }
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    options_.clear();
    const bool current_runnable =
        std::find(runnable.begin(), runnable.end(), current) != runnable.end();
    // The current thread goes first, so the first run is the one without preemptions.
    if (current_runnable && !(yielding && runnable.size() > 1)) options_.push_back(current);
    const bool may_preempt = bound_ < 0 || preemptions_ < bound_ || !current_runnable || yielding;
    if (may_preempt || options_.empty()) {
      for (ThreadId t : runnable) {
        if (t != current) options_.push_back(t);
      }
    }
    const auto n = static_cast<std::uint32_t>(options_.size());
    const std::uint32_t i = take(n);
    if (i == kDiverged) return kNoThread;
    const ThreadId chosen = options_[i];
    if (current_runnable && !yielding && chosen != current) ++preemptions_;
    return chosen;
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    const std::uint32_t i = take(bound);
    if (i == kDiverged) return std::nullopt;
    return i;
  }
  std::string divergence() const override { return diverged_; }
  std::string name() const override { return "dfs"; }

 private:
  static constexpr std::uint32_t kDiverged = ~0u;
  struct Branch {
    std::uint32_t chosen;
    std::uint32_t options;
  };
  std::uint32_t take(std::uint32_t n) {
    if (depth_ < path_.size()) {
      Branch& b = path_[depth_++];
      if (b.options != n) {
        diverged_ = "DFS re-execution saw " + std::to_string(n) + " options at decision " +
                    std::to_string(depth_) + " where the earlier run saw " +
                    std::to_string(b.options);
        return kDiverged;
      }
      return b.chosen;
    }
    path_.push_back(Branch{0, n});
    ++depth_;
    return 0;
  }
  int bound_;
  std::vector<Branch> path_;
  std::vector<ThreadId> options_;
  std::size_t depth_ = 0;
  int preemptions_ = 0;
  std::string diverged_;
};

}  // namespace

std::unique_ptr<Scheduler> make_dfs_scheduler(int preemption_bound) {
  return std::make_unique<DfsScheduler>(preemption_bound);
}

}  // namespace weft::detail
