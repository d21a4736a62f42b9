// weft/explore.hpp — running a body under many schedules, and replaying one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <weft/errors.hpp>
#include <weft/schedule.hpp>

namespace weft {

// Portfolio (the default): schedule i runs Random, PCT at a depth from 1 to 5, POS or Fuzz,
// chosen from (seed, i), so that a bug any one of them finds soon is found soon. DFS:
// exhaustive. Fuzz: greybox search over abstract schedules (preemption points) with
// interleaving feedback (reads-from pairs of sites, lock and event hand-offs).
enum class Strategy { Random, PCT, POS, DFS, Fuzz, Portfolio };
std::string_view to_string(Strategy);  // "random", "pct", "pos", "dfs", "fuzz", "portfolio"

// Which Shared<T> accesses are scheduling points. Racy: only those of variables the race
// checker saw race in probe runs before the exploration (every access is still observed by the
// checker, so races are reported either way); All: every access (the only choice with the
// checkers off).
enum class SharedPoints { Racy, All };

// MemoryModel (weft/schedule.hpp): how Atomic<T> operations behave.
std::string_view to_string(MemoryModel);  // "c11", "sc"

struct Options {
  Strategy strategy = Strategy::Portfolio;
  std::uint64_t iterations = 1000;   // schedules to run at most
  std::uint64_t seed = 0;            // fixed default: runs are reproducible
  int pct_depth = 3;                 // PCT bug depth d (Strategy::PCT; the portfolio runs 1-5)
  int preemption_bound = -1;         // DFS: -1 = unbounded
  std::uint64_t max_steps = 100000;  // per schedule; beyond it: StepLimitExceeded
  double time_budget_s = 0;          // 0 = no time limit
  bool stop_on_first_bug = true;
  unsigned jobs = 1;  // parallel worker processes; results identical for any value
  SharedPoints shared_points = SharedPoints::Racy;
  MemoryModel memory_model = MemoryModel::C11;
  // Minimise each bug's schedule before reporting it: fewest preemptions first, then fewest
  // steps, each candidate replayed (deterministic, bounded). The trace then ends with "shrunk
  // from A to B steps, P preemptions". Not for Crash, Hang, StepLimitExceeded,
  // LockOrderInversion and Nondeterminism, whose schedules are reported as found.
  bool shrink = true;
  // Stack size of each model thread. Stacks are pooled across schedules.
  std::size_t stack_size = 256 * 1024;
  // Let CondVar::wait return without a notify (as real condition variables may),
  // chosen by the strategy, so that `if` instead of `while` around a wait is found.
  bool spurious_wakeups = false;
  // Run the happens-before race / lost-update checker and the lock-order graph.
  // Off, only failures (deadlocks, assertions, ...) are reported.
  bool checkers = true;
  // Run the schedules in worker processes even when jobs == 1, so that a body that
  // crashes (a signal) is reported as a Crash bug with its schedule instead of ending the
  // program. jobs > 1 always uses workers. The report is the same either way.
  bool isolate = false;
  // The watchdog: a schedule that reaches no weft operation for this many seconds of wall-clock
  // time (a thread blocked on std::mutex, a loop without weft calls) is stuck where weft cannot
  // preempt it. In worker processes (isolate, jobs > 1) it is ended and reported as a Hang bug
  // with its schedule; in this process weft can only say so on stderr. 0: no watchdog. It decides
  // only whether a schedule is stuck, never what a schedule does.
  double hang_timeout_s = 10;
  // Traces show every step, also those inside weft's thread pools and futures (their locks and
  // condition variables), which are folded by default: a row says how many were left out.
  bool internal_steps = false;
  // Extension (the CLI's --shard I/N): this run absorbs only the schedules i with
  // i % shard_count == shard_index, and learns (racy sites, the fuzzer's corpus) exactly what the
  // whole run would, so that merging the N shards' reports gives the unsharded report. Where
  // learning is on (racy sites; the fuzz corpus, also the portfolio's), the schedules of every
  // epoch but the last run in each shard, unreported: only SharedPoints::All with Random, PCT
  // or POS splits the work N ways.
  // DFS cannot be sharded (each schedule depends on the one before).
  unsigned shard_index = 0;
  unsigned shard_count = 1;
  // Called in the exploring process after each schedule, in schedule order, with
  // the schedules done and the distinct bugs so far (the CLI's progress line).
  std::function<void(std::uint64_t schedules, std::size_t bugs)> progress;
};

enum class BugKind {
  Deadlock,            // every unfinished thread is blocked
  LockOrderInversion,  // cycle in the lock-order graph (potential deadlock), even if none happened
  DataRace,            // conflicting Shared<T> accesses not ordered by happens-before
  LostUpdate,          // a write overwrote another thread's write that the writer never saw
  AssertionFailure,    // WEFT_ASSERT failed
  UncaughtException,   // an exception escaped a model thread (or the body)
  StepLimitExceeded,   // livelock / non-termination
  Misuse,              // API misuse: unlock by non-owner, double unlock, self-deadlock, ...
  Nondeterminism,      // the body behaved differently under the same schedule
  Crash,               // extension: a signal killed the worker process running the body
  Hang,                // extension: the body stopped reaching weft operations (the watchdog)
};
std::string_view to_string(BugKind);

// One operation of a recorded run: a row of a bug's trace, for visualisations (write_html, the
// CLI's Chrome trace).
struct TraceStep {
  std::uint64_t step = 0;  // its number in the bug's trace (1-based; folded steps leave gaps)
  std::uint64_t thread = 0;
  std::string thread_name;
  std::string operation;  // "lock lock_a"
  std::string value;      // read/written value, or why it blocked
  std::string location;   // "file.cpp:12 (function)"
  bool blocked = false;
  // Extension: the source file as the compiler named it (often an absolute path) and the line,
  // when known, so that a viewer can show the line's text; "" and 0 otherwise.
  std::string file;
  unsigned line = 0;
};

// Extension: a place a bug's explanation points at. A Bug's sites come in pairs joined by an
// arrow: a race's two accesses; for each edge of a lock-order cycle, where a thread acquired
// the lock it holds and where it waits for the next; for each thread blocked in a deadlock,
// where it waits and the thread it waits for (that one's location is "").
struct BugSite {
  std::string thread;    // "T1"
  std::string location;  // "file.cpp:12", as in the trace's rows
  std::string what;      // "writes 1", "holds lock_a", "waits for lock_b"
  friend bool operator==(const BugSite&, const BugSite&) = default;
};

struct Bug {
  BugKind kind{};
  std::string message;          // one line
  std::string trace;            // the interleaving up to the failure, with source locations
  Schedule schedule;            // replay reproduces this bug
  std::uint64_t iteration = 0;  // 1-based index of the schedule that first hit it
  // Preemptive context switches in `schedule` (after shrinking): switches away from a thread
  // that could have gone on and did not yield. 0 for Crash and Hang (not re-run here).
  std::uint32_t preemptions = 0;
  // Extension: "shrunk from A to B steps, P preemptions (Q before)" when Options::shrink
  // minimised `schedule` (A: the steps of the schedule as found); empty otherwise.
  std::string shrunk;
  // Extension: the rows of `trace`, structured, when it was recorded in this process (empty for
  // a Crash or Hang, whose trace comes from a child process), and the sites the message names.
  std::vector<TraceStep> steps;
  std::vector<BugSite> sites;
};

struct Report {
  std::vector<Bug> bugs;         // distinct bugs, in order of discovery
  std::uint64_t iterations = 0;  // schedules executed
  bool exhausted = false;        // DFS covered the whole (bounded) space
  // What produced this report, for the summary's replay instructions.
  std::string strategy;
  std::uint64_t seed = 0;
  Schedule last;  // extension: the last schedule explored, when no bug was found

  bool ok() const { return bugs.empty(); }
  bool found(BugKind) const;
  std::string summary() const;  // counts, first bug, its trace, how to replay
};

#ifndef WEFT_PRODUCTION_ONLY
// Runs `body` once per schedule as the model's main thread. `body` must create the objects it
// uses, so that every schedule starts from the same state.
Report explore(std::function<void()> body, const Options& options = {});
// Re-runs one recorded schedule exactly; the report's bugs carry full traces.
Report replay(std::function<void()> body, const Schedule& schedule);
// Extension (the CLI's `replay --continue`): a schedule that survives small edits of the body.
// Each run follows `schedule` while its decisions fit the body and, from the first one that
// does not (or once they run out), lets options.strategy decide; up to options.iterations
// runs, each continuing differently, stop at the first with a bug. The bugs' schedules are the
// runs' own, so they replay exactly on the body as it is now. Random continues for DFS.
Report replay_continue(std::function<void()> body, const Schedule& schedule,
                       const Options& options = {});
#else
// WEFT_PRODUCTION_ONLY compiles the model out of the code that includes this: the objects it
// makes are the real primitives even inside an exploration, which would then run without a
// single scheduling point and report nothing. So these refuse, also when the library linked
// was built with the model. (Templates: a call picks the library's functions where they are
// declared, as in the library's own files.)
namespace detail {
[[noreturn]] inline void model_compiled_out(const char* what) {
  throw UsageError(std::string("weft::") + what +
                   ": this code was compiled with WEFT_PRODUCTION_ONLY, so its weft objects are "
                   "the real primitives and cannot be explored (build it without the macro)");
}
}  // namespace detail
template <class = void>
[[noreturn]] Report explore(std::function<void()>, const Options& = {}) {
  detail::model_compiled_out("explore");
}
template <class = void>
[[noreturn]] Report replay(std::function<void()>, const Schedule&) {
  detail::model_compiled_out("replay");
}
template <class = void>
[[noreturn]] Report replay_continue(std::function<void()>, const Schedule&, const Options& = {}) {
  detail::model_compiled_out("replay_continue");
}
#endif

// One recorded run of `schedule`, operation by operation (for visualisations such
// as the CLI's Chrome trace export).
std::vector<TraceStep> trace_steps(std::function<void()> body, const Schedule& schedule);

}  // namespace weft
