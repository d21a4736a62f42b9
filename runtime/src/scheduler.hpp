// scheduler.hpp — the only place where scheduling choices are made. One class per strategy, each
// in a file of its own under strategies/; replay is just another scheduler that reads a recorded
// Schedule.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <weft/detail/model.hpp>
#include <weft/explore.hpp>

namespace weft::detail {

class Execution;

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Prepares the next schedule; false when there is none left (DFS exhausted its space).
  virtual bool begin_execution(std::uint64_t iteration) = 0;
  // Picks the thread that runs next from `runnable` (never empty, ascending ids). `yielding`:
  // the current thread asked others to go first. kNoThread = the recorded run diverged.
  virtual ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable,
                               ThreadId current, bool yielding) = 0;
  // A choice in [0, bound), bound >= 2. nullopt = the recorded run diverged.
  virtual std::optional<std::uint32_t> next_choice(std::uint32_t bound) = 0;
  virtual void end_execution(std::uint64_t /*steps*/) {}
  // How many scheduling decisions an execution of the body takes (PCT's k).
  virtual void set_step_estimate(std::uint64_t /*steps*/) {}
  // Feedback (Strategy::Fuzz, alone or in the portfolio): the strategy learns from the runs'
  // interleaving coverage. is_fuzz_run(i): schedule i is one of the fuzzer's; admit(): these
  // fuzz schedules showed new coverage and join the corpus (called between batches, in order).
  virtual bool feeds_back() const { return false; }
  virtual bool is_fuzz_run(std::uint64_t /*iteration*/) const { return false; }
  virtual void admit(const std::vector<std::uint64_t>& /*iterations*/) {}
  // Why the run diverged from its recording (for Nondeterminism bugs).
  virtual std::string divergence() const { return {}; }
  virtual std::string name() const = 0;
  // Whether the execution should keep each step's effects (Execution::step_effects) for it.
  virtual bool wants_step_effects() const { return false; }
};

std::unique_ptr<Scheduler> make_scheduler(const Options& options);
std::unique_ptr<Scheduler> make_replay_scheduler(const Schedule& schedule);
// Reads every decision from `bytes` (a libFuzzer input, <weft/fuzz.hpp>), with a fixed rule once
// they run out; `bytes` must outlive the scheduler.
std::unique_ptr<Scheduler> make_byte_scheduler(std::span<const std::uint8_t> bytes);
// Random, but steering toward the acquisition orders of a lock-order cycle: a thread about to
// take a free lock of the cycle goes first, so that each thread grabs its first lock before
// the others release theirs.
std::unique_ptr<Scheduler> make_witness_scheduler(std::uint64_t seed,
                                                  std::vector<std::string> locks);
// Follows `plan` while it fits the run (each decision a thread that can run there, or a choice
// of the same range), then lets `after` decide; without `after`, a decision that does not fit is
// skipped and the running thread goes on (choices take 0), which adds no preemption.
std::unique_ptr<Scheduler> make_guided_scheduler(std::vector<Schedule::Decision> plan,
                                                 std::unique_ptr<Scheduler> after = nullptr);
// For a scheduler made by make_guided_scheduler: the plan's decisions followed before the first
// that did not fit.
std::size_t guided_followed(const Scheduler& guided);
// Which member of Strategy::Portfolio runs schedule `iteration` ("random", "pos", "pct, depth 2").
std::string portfolio_member(std::uint64_t seed, std::uint64_t iteration);
// For a scheduler made by make_replay_scheduler: decisions the run did not use.
std::size_t replay_unused(const Scheduler& replay);
// For a scheduler made by make_replay_scheduler: the run needed more decisions than it has.
bool replay_ran_out(const Scheduler& replay);

}  // namespace weft::detail
