// weft/schedule.hpp — a replayable recording of one execution's scheduling choices.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

// How Atomic<T> operations behave (Options::memory_model). C11 (the default): their
// std::memory_order arguments are honoured as the C++ memory model says: a load may read any
// store that coherence and happens-before allow (which one is a recorded choice, explored like
// a thread switch), and only release/acquire (and seq_cst) operations and fences synchronise.
// SC: every operation is seq_cst, whatever order it names (a load reads the latest store).
enum class MemoryModel { C11, SC };

// A Schedule records the value of every decision an execution made: which thread ran at each
// scheduling point, and every other nondeterministic choice (with its range). Replay reads these
// values back, so it never depends on a random number generator.
//
// Text form ("weft-schedule 2"):
//   weft-schedule 2
//   # comments run to the end of the line
//   scenario bank: transfers keep the total
//   racy bank.cpp:12
//   max-steps 100000
//   t0*3 t1 t0 c1/2 t2*40
// `tN` = thread N ran (t0 is main, t1 is T1, ...), `cV/B` = choice V out of B, `*K` = the same
// decision K times. `scenario` (optional, the rest of the line) names the WEFT_SCENARIO it was
// recorded for: the CLI's replay refuses it for another scenario.
// `body` (optional, 16 hex digits) is a fingerprint of the run's first operations (their kinds
// and source lines): a replay that diverges from a schedule whose fingerprint is not the body's
// is refused as recorded for another body (ScheduleError), instead of blamed on the body.
// `racy SITE` (one line each) names the declarations ("file:line") of the Shared<T> variables
// whose accesses were scheduling points (SharedPoints::Racy); `shared-points all` says every
// access was one. Replay makes the same accesses points. Version 1 files (every access a point)
// are refused with a message saying so.
// `max-steps` (optional) is the step limit the run had, so a StepLimitExceeded replays as such;
// `spurious-wakeups` (optional) says CondVar waits made a wake-or-not choice.
// `memory-model sc` (optional; `c11`, the default, when absent) says Atomic<T> ran under
// MemoryModel::SC, whose loads make no reads-from choices.
class Schedule {
 public:
  struct Decision {
    std::uint32_t value = 0;
    std::uint32_t bound = 0;  // 0: a thread pick (value = thread id); else a choice in [0, bound)
    friend bool operator==(const Decision&, const Decision&) = default;
  };

  Schedule() = default;
  explicit Schedule(std::vector<Decision> decisions, std::string comment = {});

  std::string to_string() const;
  static Schedule parse(std::string_view text);  // throws ScheduleError with line/column
  void save(const std::filesystem::path& path) const;
  static Schedule load(const std::filesystem::path& path);  // ScheduleError / std::system_error

  const std::vector<Decision>& decisions() const noexcept { return decisions_; }
  std::size_t size() const noexcept { return decisions_.size(); }
  bool empty() const noexcept { return decisions_.empty(); }
  const std::string& comment() const noexcept { return comment_; }
  std::uint64_t max_steps() const noexcept { return max_steps_; }  // 0 = not recorded
  void set_max_steps(std::uint64_t n) noexcept { max_steps_ = n; }
  // The scenario it was recorded for; empty = not recorded. Line breaks become spaces.
  const std::string& scenario() const noexcept { return scenario_; }
  void set_scenario(std::string name);
  // Shared<T> accesses that were scheduling points in the recorded run: every one, or those of
  // the variables declared at racy_sites() ("file.cpp:12", sorted).
  bool all_shared_points() const noexcept { return all_shared_points_; }
  void set_all_shared_points(bool all) noexcept { all_shared_points_ = all; }
  const std::vector<std::string>& racy_sites() const noexcept { return racy_sites_; }
  void set_racy_sites(std::vector<std::string> sites);
  // The fingerprint of the body it was recorded from; 0 = not recorded.
  std::uint64_t body() const noexcept { return body_; }
  void set_body(std::uint64_t fingerprint) noexcept { body_ = fingerprint; }
  bool spurious_wakeups() const noexcept { return spurious_wakeups_; }
  void set_spurious_wakeups(bool on) noexcept { spurious_wakeups_ = on; }
  // The memory model of the recorded run: replay runs under the same one.
  MemoryModel memory_model() const noexcept { return memory_model_; }
  void set_memory_model(MemoryModel m) noexcept { memory_model_ = m; }

  friend bool operator==(const Schedule& a, const Schedule& b) {
    return a.decisions_ == b.decisions_;
  }

 private:
  std::vector<Decision> decisions_;
  std::string comment_;   // informational: how it was found; not part of equality
  std::string scenario_;  // not part of equality either: the decisions are the schedule
  std::uint64_t max_steps_ = 0;
  std::uint64_t body_ = 0;
  bool spurious_wakeups_ = false;
  MemoryModel memory_model_ = MemoryModel::C11;
  bool all_shared_points_ = false;
  std::vector<std::string> racy_sites_;
};

}  // namespace weft
