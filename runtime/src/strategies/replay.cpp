// Replay: reads a recorded Schedule back, decision by decision, instead of choosing. A schedule
// holds the value of every decision (not a seed), so replay needs no random numbers and stays
// exact across strategies and weft versions; any mismatch between what the body asks for and
// what the schedule holds is a divergence, reported as Nondeterminism.
#include <algorithm>
#include <string>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

class ReplayScheduler final : public Scheduler {
 public:
  explicit ReplayScheduler(const Schedule& s) : decisions_(s.decisions()) {}
  bool begin_execution(std::uint64_t) override {
    next_ = 0;
    ran_out_ = false;
    diverged_.clear();
    return true;
  }
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId,
                       bool) override {
    if (!have("a thread pick")) return kNoThread;
    const Schedule::Decision d = decisions_[next_++];
    if (d.bound != 0) {
      diverged_ = "decision " + std::to_string(next_) + " of the schedule is a choice (c" +
                  std::to_string(d.value) + "/" + std::to_string(d.bound) +
                  ") but the body asked which thread runs next";
      return kNoThread;
    }
    if (std::find(runnable.begin(), runnable.end(), d.value) == runnable.end()) {
      std::string names;
      for (ThreadId t : runnable) names += (names.empty() ? "" : ", ") + ex.thread_name(t);
      // Named as traces name threads; the file's own token alongside.
      const std::string who = d.value < ex.thread_count()
                                  ? ex.thread_name(d.value)
                                  : "T" + std::to_string(d.value) + ", which was never started";
      diverged_ = "decision " + std::to_string(next_) + " of the schedule (t" +
                  std::to_string(d.value) + ") runs " + who +
                  (d.value < ex.thread_count() ? ", which cannot run here" : "") +
                  " (runnable: " + names + ")";
      return kNoThread;
    }
    return d.value;
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    if (!have("a choice")) return std::nullopt;
    const Schedule::Decision d = decisions_[next_++];
    if (d.bound != bound) {
      diverged_ = "decision " + std::to_string(next_) + " of the schedule is " +
                  (d.bound == 0 ? "a thread pick" : "a choice out of " + std::to_string(d.bound)) +
                  " but the body asked for a choice out of " + std::to_string(bound);
      return std::nullopt;
    }
    return d.value;
  }
  std::string divergence() const override { return diverged_; }
  std::string name() const override { return "replay"; }
  // Decisions left over when the run ended: it ended earlier than the recording did.
  std::size_t unused() const noexcept { return decisions_.size() - next_; }
  // The run asked for a decision after the last one.
  bool ran_out() const noexcept { return ran_out_; }

 private:
  bool have(const char* what) {
    if (next_ < decisions_.size()) return true;
    ran_out_ = true;
    diverged_ = "the run needs " + std::string(what) + " after the last of the schedule's " +
                std::to_string(decisions_.size()) + " decisions";
    return false;
  }
  const std::vector<Schedule::Decision>& decisions_;
  std::size_t next_ = 0;
  bool ran_out_ = false;
  std::string diverged_;
};

}  // namespace

std::unique_ptr<Scheduler> make_replay_scheduler(const Schedule& s) {
  return std::make_unique<ReplayScheduler>(s);
}

std::size_t replay_unused(const Scheduler& s) {
  return static_cast<const ReplayScheduler&>(s).unused();
}

bool replay_ran_out(const Scheduler& s) { return static_cast<const ReplayScheduler&>(s).ran_out(); }

}  // namespace weft::detail
