#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include <weft/detail/checker.hpp>
#include <weft/explore.hpp>

#include "execution.hpp"
#include "fiber.hpp"
#include "scheduler.hpp"

namespace weft {
namespace {

using detail::Execution;
using detail::PendingBug;
using detail::RunResult;
using Checkers = std::vector<std::unique_ptr<detail::Checker>>;

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

std::pair<BugKind, std::string> identity(const PendingBug& b) {
  return {b.kind, b.key.empty() ? b.message : b.key};
}

// Feeds the run's lock-order edges to the graph; cycles they close come first in its bugs.
void add_lock_findings(RunResult& r, detail::LockGraph& graph) {
  std::vector<PendingBug> found;
  for (const detail::LockEdge& e : r.edges) {
    if (std::optional<detail::Finding> f = graph.add(e)) {
      found.push_back(
          PendingBug{f->kind, std::move(f->message), {}, std::move(f->key), std::move(f->locks)});
    }
  }
  r.bugs.insert(r.bugs.begin(), std::make_move_iterator(found.begin()),
                std::make_move_iterator(found.end()));
}

Schedule schedule_of(const Execution& ex, const Options& o, const std::string& how) {
  Schedule s(ex.decisions(), how);
  s.set_max_steps(o.max_steps);
  s.set_spurious_wakeups(o.spurious_wakeups);
  return s;
}

// Re-runs a failing schedule with full recording on (and fresh checkers, as replay() has):
// exploration records only decisions, and the human trace is built here. A bug that does not
// come back means the body is not deterministic.
RunResult rerun(const std::function<void()>& body, Execution& ex, const Schedule& schedule,
                bool checkers_on) {
  auto replayer = detail::make_replay_scheduler(schedule);
  replayer->begin_execution(1);
  Checkers fresh = checkers_on ? detail::make_default_checkers() : Checkers{};
  ex.set_checkers(&fresh);
  RunResult r = ex.run(body, *replayer, /*record=*/true);
  ex.set_checkers(nullptr);
  add_lock_findings(r, *detail::make_lock_graph());
  return r;
}

Bug confirm(const PendingBug& found, const RunResult& again, const Schedule& schedule,
            std::uint64_t iteration) {
  Bug bug;
  bug.iteration = iteration;
  bug.schedule = schedule;
  bug.trace = again.trace;
  for (const PendingBug& b : again.bugs) {
    if (identity(b) == identity(found)) {
      bug.kind = b.kind;
      bug.message = b.message;
      bug.trace += b.details;
      return bug;
    }
  }
  if (found.kind == BugKind::LockOrderInversion) {
    // The other half of the cycle was seen in an earlier schedule: this one only closes it.
    bug.kind = found.kind;
    bug.message = found.message;
    bug.trace +=
        "(this schedule adds the last edge of the cycle; the other edges were seen in "
        "earlier schedules of the same exploration)\n";
    return bug;
  }
  bug.kind = BugKind::Nondeterminism;
  bug.message = "the body is not deterministic: schedule " + std::to_string(iteration) +
                " found '" + found.message + "' but replaying it " +
                (again.bugs.empty() ? std::string("found no bug")
                                    : "found '" + again.bugs.front().message + "'");
  return bug;
}

// PCT needs the number of steps an execution takes. A few random runs, outside the numbered
// schedules, estimate it without making any schedule depend on the ones before it.
std::uint64_t probe_steps(const std::function<void()>& body, Execution& ex, const Options& o) {
  constexpr std::uint64_t kProbes = 4;
  Options random = o;
  random.strategy = Strategy::Random;
  random.seed = o.seed ^ 0x9e3779b97f4a7c15ull;
  auto probe = detail::make_scheduler(random);
  std::uint64_t steps = 1;
  for (std::uint64_t p = 1; p <= kProbes; ++p) {
    probe->begin_execution(p);
    steps = std::max(steps, ex.run(body, *probe, /*record=*/false).steps);
  }
  return steps;
}

// Tries to turn a predicted deadlock (a lock-order cycle) into a real one by steering schedules
// toward the inverted acquisition orders. Returns the Deadlock with its schedule if one comes.
std::optional<Bug> find_witness(const std::function<void()>& body, Execution& ex,
                                const PendingBug& inversion, const Options& options,
                                std::uint64_t iteration) {
  constexpr std::uint64_t kTries = 300;
  auto steer = detail::make_witness_scheduler(options.seed, inversion.locks);
  for (std::uint64_t k = 1; k <= kTries; ++k) {
    steer->begin_execution(k);
    RunResult w = ex.run(body, *steer, /*record=*/false);
    for (const PendingBug& b : w.bugs) {
      if (b.kind != BugKind::Deadlock) continue;
      const Schedule schedule = schedule_of(
          ex, options,
          "witness of the lock order inversion found in schedule " + std::to_string(iteration) +
              " (steered schedule " + std::to_string(k) + "): Deadlock");
      const RunResult again = rerun(body, ex, schedule, false);
      return confirm(b, again, schedule, iteration);
    }
  }
  return std::nullopt;
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
  if (options.strategy == Strategy::PCT) {
    scheduler->set_step_estimate(probe_steps(body, ex, options));
  }
  Checkers checkers = options.checkers ? detail::make_default_checkers() : Checkers{};
  const std::unique_ptr<detail::LockGraph> graph = detail::make_lock_graph();
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
    ex.set_checkers(&checkers);
    RunResult r = ex.run(body, *scheduler, /*record=*/false);
    ex.set_checkers(nullptr);
    add_lock_findings(r, *graph);
    scheduler->end_execution(r.steps);
    report.iterations = i;
    std::vector<PendingBug> fresh;
    for (PendingBug& b : r.bugs) {
      if (seen.insert(identity(b)).second) fresh.push_back(std::move(b));
    }
    if (fresh.empty()) continue;
    const Schedule schedule = schedule_of(
        ex, options,
        "found by " + report.strategy + " (seed " + std::to_string(options.seed) + "), schedule " +
            std::to_string(i) + ": " + std::string(to_string(fresh.front().kind)));
    const RunResult again = rerun(body, ex, schedule, options.checkers);
    for (const PendingBug& b : fresh) {
      report.bugs.push_back(confirm(b, again, schedule, i));
      if (b.kind != BugKind::LockOrderInversion || b.locks.empty()) continue;
      const bool deadlocked = std::any_of(fresh.begin(), fresh.end(), [](const PendingBug& d) {
        return d.kind == BugKind::Deadlock;
      });
      if (deadlocked) continue;  // this very schedule is the witness
      if (std::optional<Bug> witness = find_witness(body, ex, b, options, i)) {
        report.bugs.back().trace +=
            "witness: a steered schedule really deadlocks; it is reported as the next bug\n";
        if (seen.insert({BugKind::Deadlock, witness->message}).second) {
          report.bugs.push_back(std::move(*witness));
        }
      } else {
        report.bugs.back().trace +=
            "no witness: 300 schedules steered toward the inverted order did not deadlock "
            "(the orders may be separated in time, e.g. by a join)\n";
      }
    }
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
  Checkers checkers = detail::make_default_checkers();
  ex.set_checkers(&checkers);
  RunResult r = ex.run(body, *replayer, /*record=*/true);
  add_lock_findings(r, *detail::make_lock_graph());
  report.iterations = 1;
  for (PendingBug& b : r.bugs) {
    Bug bug;
    bug.iteration = 1;
    bug.schedule = schedule;
    bug.kind = b.kind;
    bug.message = std::move(b.message);
    bug.trace = r.trace + b.details;
    report.bugs.push_back(std::move(bug));
  }
  if (r.bugs.empty()) {
    if (const std::size_t unused = detail::replay_unused(*replayer); unused > 0) {
      Bug bug;
      bug.iteration = 1;
      bug.schedule = schedule;
      bug.trace = std::move(r.trace);
      bug.kind = BugKind::Nondeterminism;
      bug.message = "the run ended with " + std::to_string(unused) + " of the schedule's " +
                    std::to_string(schedule.size()) +
                    " decisions unused (is the body deterministic, and is this its schedule?)";
      report.bugs.push_back(std::move(bug));
    }
  }
  return report;
}

}  // namespace weft
