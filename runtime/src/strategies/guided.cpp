// A scheduler that follows a list of decisions as far as they fit the run, and decides the rest
// itself. Shrinking builds candidate schedules by moving whole stretches of a thread's steps;
// such a candidate is a plan, not a recording, and where it does not fit (the thread it names
// cannot run there) the run must still go on. `replay --continue` is the same thing with a
// strategy taking over: a schedule recorded before a small edit of the body still leads the
// run to where the edit changed it.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

class GuidedScheduler final : public Scheduler {
 public:
  GuidedScheduler(std::vector<Schedule::Decision> plan, std::unique_ptr<Scheduler> after)
      : plan_(std::move(plan)), after_(std::move(after)) {}
  bool begin_execution(std::uint64_t iteration) override {
    next_ = 0;
    followed_ = 0;
    off_plan_ = false;
    if (after_) after_->begin_execution(iteration);
    return true;
  }
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    if (const Schedule::Decision* d = planned()) {
      if (d->bound == 0 && std::binary_search(runnable.begin(), runnable.end(), d->value)) {
        return fits(d->value);
      }
      misfit();
    }
    if (after_) return after_->next_thread(ex, runnable, current, yielding);
    // Keep the running thread: a fallback that adds no preemption of its own.
    const bool stays = std::binary_search(runnable.begin(), runnable.end(), current);
    if (stays && !(yielding && runnable.size() > 1)) return current;
    // The next thread after `current` in id order, so that yielding spin loops move on.
    const auto later = std::upper_bound(runnable.begin(), runnable.end(), current);
    return later != runnable.end() ? *later : runnable.front();
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    if (const Schedule::Decision* d = planned()) {
      if (d->bound == bound) return fits(d->value);
      misfit();
    }
    if (after_) return after_->next_choice(bound);
    return 0;
  }
  std::string name() const override { return "guided"; }
  std::size_t followed() const noexcept { return followed_; }

 private:
  // The plan's next decision, while the plan is followed; with a strategy to take over, the
  // first misfit ends the plan (after a divergence the rest of it means nothing).
  const Schedule::Decision* planned() {
    if (next_ >= plan_.size() || (after_ && off_plan_)) return nullptr;
    return &plan_[next_++];
  }
  std::uint32_t fits(std::uint32_t value) {
    if (!off_plan_) ++followed_;
    return value;
  }
  void misfit() { off_plan_ = true; }

  std::vector<Schedule::Decision> plan_;
  std::unique_ptr<Scheduler> after_;
  std::size_t next_ = 0;
  std::size_t followed_ = 0;
  bool off_plan_ = false;
};

}  // namespace

std::unique_ptr<Scheduler> make_guided_scheduler(std::vector<Schedule::Decision> plan,
                                                 std::unique_ptr<Scheduler> after) {
  return std::make_unique<GuidedScheduler>(std::move(plan), std::move(after));
}

std::size_t guided_followed(const Scheduler& guided) {
  return static_cast<const GuidedScheduler&>(guided).followed();
}

}  // namespace weft::detail
