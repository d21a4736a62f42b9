// weft/detail/watchdog.hpp — noticing a body that stopped reaching weft operations (blocked on
// a primitive weft does not control, or looping without a weft call), and reporting what a run
// in a child process had done when it crashed or was stopped. Not a public API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <weft/explore.hpp>

namespace weft::detail {

// Scheduling decisions made in this process, all runs together: a watchdog that reads the same
// value twice, a while apart, saw no weft operation in between. One writer (the thread running
// the model), so a relaxed load and store suffice and cost no locked instruction.
inline std::atomic<std::uint64_t> progress_ticks{0};
inline void progress_tick() noexcept {
  progress_ticks.store(progress_ticks.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
}

// A re-run of a schedule known to end by crashing or hanging stops where it did once the
// schedule's decisions are used up: there this much stillness is enough.
inline constexpr double kSettleSeconds = 0.3;

// Calls `on_stall` once, from a thread of its own, when no scheduling decision happens in this
// process for `seconds`. `seconds <= 0`: never. After `quick_after` decisions since it started,
// `quick_seconds` of stillness are enough (a re-run of a schedule known to hang there).
class StallWatch {
 public:
  StallWatch(double seconds, std::function<void()> on_stall, std::uint64_t quick_after = UINT64_MAX,
             double quick_seconds = 0);
  ~StallWatch();
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;
  // While held, waiting does not count as stillness (a worker waiting for its reader).
  void hold(bool held) noexcept { held_.store(held, std::memory_order_relaxed); }

 private:
  void watch();
  double seconds_;
  std::function<void()> on_stall_;
  std::uint64_t start_;
  std::uint64_t quick_after_;
  double quick_seconds_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::atomic<bool> held_{false};
  std::thread thread_;
};

// What a recording run (a replay, a report's re-run) had done when its process received a fatal
// signal, or when a StallWatch made by interrupt_on_stall() stopped it.
struct PartialRun {
  bool hung = false;   // stopped by the watchdog: no weft operation for its time
  int signal = 0;      // else the signal that ended it
  std::string thread;  // the model thread that ran last ("" outside a model run)
  std::string trace;   // the trace table up to there
  std::string others;  // where each other unfinished thread stands, a line each
  std::vector<TraceStep> steps;
};

// For a process that exists to re-run a schedule that may crash or hang (it must not carry on
// afterwards: the handler allocates): on SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT or SIGTERM in
// the calling thread, `report` gets what the recording run has so far (on an alternate stack, so
// that a stack overflow is reported too); then a hung run ends with _exit(kHungExit) and a
// crashed one by its signal, as it would have. Call it from the thread that runs the model.
inline constexpr int kHungExit = 4;
void on_fatal_signal(std::function<void(const PartialRun&)> report);

// An on_stall action for a StallWatch: interrupts the model thread (the caller) so that
// on_fatal_signal's report names where the run stands.
std::function<void()> interrupt_model_thread();

// A partial run in words, for a bug's trace: the table, then which thread ran last and what
// that means. `limit_s`: the watchdog's limit, when it was the one that stopped the run.
std::string describe_partial_run(const PartialRun& run, double limit_s);

// trace_steps() in a child process, for a schedule that may crash or hang (a Crash or Hang
// bug's): the steps up to where it ended. The child is stopped after `hang_timeout_s` without
// progress (10 s if 0).
std::vector<TraceStep> trace_steps_in_child(const std::function<void()>& body,
                                            const Schedule& schedule, double hang_timeout_s);

// One line of advice for a run that stopped reaching weft operations.
std::string hang_hint();

}  // namespace weft::detail
