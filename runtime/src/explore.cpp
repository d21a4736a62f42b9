#include <chrono>
#include <set>
#include <utility>

#include <weft/explore.hpp>

#include "execution.hpp"
#include "fiber.hpp"
#include "scheduler.hpp"

namespace weft {
namespace {

using detail::Execution;
using detail::RunResult;

std::string_view strategy_name(Strategy s) {
  switch (s) {
    case Strategy::Random:
      return "random";
    case Strategy::PCT:
      return "pct";
    case Strategy::POS:
      return "pos";
    case Strategy::DFS:
      return "dfs";
  }
  return "?";
}

void validate(const Options& o) {
#ifdef WEFT_PRODUCTION_ONLY
  (void)o;
  throw UsageError(
      "weft was built with WEFT_PRODUCTION_ONLY: the model is compiled out, so "
      "explore() and replay() are unavailable");
#endif
  if (detail::current() != nullptr) {
    throw UsageError("weft::explore/replay cannot be called inside a model run");
  }
  if (o.iterations == 0) throw UsageError("Options::iterations must be at least 1");
  if (o.pct_depth < 1) throw UsageError("Options::pct_depth must be at least 1");
  if (o.preemption_bound < -1) throw UsageError("Options::preemption_bound must be -1 or >= 0");
  if (o.max_steps == 0) throw UsageError("Options::max_steps must be at least 1");
  if (o.time_budget_s < 0) throw UsageError("Options::time_budget_s must not be negative");
  if (o.stack_size < 16 * 1024) throw UsageError("Options::stack_size must be at least 16 KiB");
}

// Re-runs a failing schedule with full recording on: exploration records only decisions, and
// the human trace is built here. A different outcome means the body is not deterministic.
Bug confirm(const std::function<void()>& body, Execution& ex, detail::PendingBug found,
            Schedule schedule, std::uint64_t iteration) {
  auto replayer = detail::make_replay_scheduler(schedule);
  replayer->begin_execution(1);
  RunResult again = ex.run(body, *replayer, /*record=*/true);
  Bug bug;
  bug.iteration = iteration;
  bug.schedule = std::move(schedule);
  if (again.bug && again.bug->kind == found.kind && again.bug->message == found.message) {
    bug.kind = found.kind;
    bug.message = std::move(found.message);
    bug.trace = std::move(again.trace);
    if (!again.bug->details.empty()) bug.trace += again.bug->details;
  } else {
    bug.kind = BugKind::Nondeterminism;
    bug.message = "the body is not deterministic: schedule " + std::to_string(iteration) +
                  " found '" + found.message + "' but replaying it " +
                  (again.bug ? "found '" + again.bug->message + "'" : "found no bug");
    bug.trace = std::move(again.trace);
  }
  return bug;
}

}  // namespace

Report explore(std::function<void()> body, const Options& options) {
  validate(options);
  if (!body) throw UsageError("weft::explore needs a body to run");
  Report report;
  report.strategy = std::string(strategy_name(options.strategy));
  report.seed = options.seed;

  detail::Fibers fibers(options.stack_size);
  Execution ex(fibers, options.max_steps, options.spurious_wakeups);
  auto scheduler = detail::make_scheduler(options);
  std::set<std::pair<BugKind, std::string>> seen;
  const auto start = std::chrono::steady_clock::now();

  for (std::uint64_t i = 1; i <= options.iterations; ++i) {
    if (options.time_budget_s > 0 && i > 1) {
      const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
      if (spent.count() >= options.time_budget_s) break;
    }
    if (!scheduler->begin_execution(i)) {
      report.exhausted = true;
      break;
    }
    RunResult r = ex.run(body, *scheduler, /*record=*/false);
    scheduler->end_execution(r.steps);
    report.iterations = i;
    if (!r.bug) continue;
    if (!seen.emplace(r.bug->kind, r.bug->message).second) continue;
    Schedule schedule(ex.decisions(), "found by " + report.strategy + " (seed " +
                                          std::to_string(options.seed) + "), schedule " +
                                          std::to_string(i) + ": " +
                                          std::string(to_string(r.bug->kind)));
    schedule.set_max_steps(options.max_steps);
    schedule.set_spurious_wakeups(options.spurious_wakeups);
    report.bugs.push_back(confirm(body, ex, std::move(*r.bug), std::move(schedule), i));
    if (options.stop_on_first_bug) break;
  }
  return report;
}

Report replay(std::function<void()> body, const Schedule& schedule) {
  validate(Options{});
  if (!body) throw UsageError("weft::replay needs a body to run");
  Report report;
  report.strategy = "replay";
  detail::Fibers fibers(Options{}.stack_size);
  // Without a recorded limit the schedule itself bounds the run: a longer one diverges.
  Execution ex(fibers, schedule.max_steps() != 0 ? schedule.max_steps() : schedule.size() + 1,
               schedule.spurious_wakeups());
  auto replayer = detail::make_replay_scheduler(schedule);
  replayer->begin_execution(1);
  RunResult r = ex.run(body, *replayer, /*record=*/true);
  report.iterations = 1;
  Bug bug;
  bug.iteration = 1;
  bug.schedule = schedule;
  bug.trace = std::move(r.trace);
  if (r.bug) {
    bug.kind = r.bug->kind;
    bug.message = std::move(r.bug->message);
    bug.trace += r.bug->details;
  } else if (const std::size_t unused = detail::replay_unused(*replayer); unused > 0) {
    bug.kind = BugKind::Nondeterminism;
    bug.message = "the run ended with " + std::to_string(unused) + " of the schedule's " +
                  std::to_string(schedule.size()) +
                  " decisions unused (is the body deterministic, and is this its schedule?)";
  } else {
    return report;
  }
  report.bugs.push_back(std::move(bug));
  return report;
}

}  // namespace weft
