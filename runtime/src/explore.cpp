// explore() and replay(). The Explorer is the exploration's policy: which schedules run, how
// their outcomes are absorbed (in schedule order, so that the report is the same however many
// worker processes ran them), re-runs that record a bug's trace, witness searches and PCT's
// probes. Running schedules in worker processes is isolation.hpp's.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_set>
#include <utility>
#include <vector>

#include <weft/detail/checker.hpp>
#include <weft/detail/platform.hpp>
#include <weft/detail/watchdog.hpp>
#include <weft/errors.hpp>
#include <weft/explore.hpp>
#include <weft/fuzz.hpp>

#include "execution.hpp"
#include "fiber.hpp"
#include "isolation.hpp"
#include "scheduler.hpp"
#include "shrink.hpp"

namespace weft {
namespace {

using detail::Execution;
using detail::PendingBug;
using detail::RunResult;
using Checkers = std::vector<std::unique_ptr<detail::Checker>>;

}  // namespace

std::string_view to_string(Strategy s) {
  switch (s) {
    case Strategy::Random:
      return "random";
    case Strategy::PCT:
      return "pct";
    case Strategy::POS:
      return "pos";
    case Strategy::DFS:
      return "dfs";
    case Strategy::Fuzz:
      return "fuzz";
    case Strategy::Portfolio:
      return "portfolio";
  }
  return "?";
}

std::string_view to_string(MemoryModel m) {
  switch (m) {
    case MemoryModel::C11:
      return "c11";
    case MemoryModel::SC:
      return "sc";
  }
  return "?";
}

namespace {

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
  if (to_string(o.strategy) == "?") {
    throw UsageError("Options::strategy is not a Strategy (value " +
                     std::to_string(static_cast<long long>(o.strategy)) + ")");
  }
  if (to_string(o.memory_model) == "?") {
    throw UsageError("Options::memory_model is not a MemoryModel (value " +
                     std::to_string(static_cast<long long>(o.memory_model)) + ")");
  }
  if (o.iterations == 0) throw UsageError("Options::iterations must be at least 1");
  if (o.pct_depth < 1) throw UsageError("Options::pct_depth must be at least 1");
  if (o.preemption_bound < -1) throw UsageError("Options::preemption_bound must be -1 or >= 0");
  if (o.max_steps == 0) throw UsageError("Options::max_steps must be at least 1");
  if (o.time_budget_s < 0) throw UsageError("Options::time_budget_s must not be negative");
  if (o.stack_size < 16 * 1024) throw UsageError("Options::stack_size must be at least 16 KiB");
  if (!(o.hang_timeout_s >= 0)) throw UsageError("Options::hang_timeout_s must not be negative");
  if (o.shared_points != SharedPoints::Racy && o.shared_points != SharedPoints::All) {
    throw UsageError("Options::shared_points is not a SharedPoints (value " +
                     std::to_string(static_cast<long long>(o.shared_points)) + ")");
  }
}

std::pair<BugKind, std::string> identity(const PendingBug& b) {
  return {b.kind, b.key.empty() ? b.message : b.key};
}

// Whether a run's lock-order edges close a cycle that add_lock_findings would report.
bool closes_lock_cycle(const std::vector<detail::LockEdge>& edges) {
  if (edges.empty()) return false;
  const std::unique_ptr<detail::LockGraph> graph = detail::make_lock_graph();
  return std::any_of(edges.begin(), edges.end(),
                     [&](const detail::LockEdge& e) { return graph->add(e).has_value(); });
}

// Feeds the run's lock-order edges to the graph; cycles they close come first in its bugs.
void add_lock_findings(RunResult& r, detail::LockGraph& graph) {
  std::vector<PendingBug> found;
  for (const detail::LockEdge& e : r.edges) {
    if (std::optional<detail::Finding> f = graph.add(e)) {
      found.push_back(PendingBug{f->kind,
                                 std::move(f->message),
                                 {},
                                 std::move(f->key),
                                 std::move(f->locks),
                                 std::move(f->sites)});
    }
  }
  r.bugs.insert(r.bugs.begin(), std::make_move_iterator(found.begin()),
                std::make_move_iterator(found.end()));
}

// A schedule of `decisions` made by a run of `ex`'s settings (its shared points).
Schedule schedule_of(const Execution& ex, const std::vector<Schedule::Decision>& decisions,
                     const Options& o, const std::string& how, std::uint64_t fingerprint) {
  Schedule s(decisions, how);
  s.set_body(fingerprint);
  s.set_all_shared_points(ex.all_shared_points());
  s.set_racy_sites(ex.racy_sites());
  s.set_max_steps(o.max_steps);
  s.set_spurious_wakeups(o.spurious_wakeups);
  s.set_memory_model(ex.memory_model());
  return s;
}

Schedule schedule_of(const Execution& ex, const Options& o, const std::string& how) {
  return schedule_of(ex, ex.decisions(), o, how, ex.fingerprint());
}

// The last schedule of an exploration without bugs, for Report::last.
Schedule last_schedule(const Execution& ex, const std::vector<Schedule::Decision>& decisions) {
  Schedule s(decisions);
  s.set_all_shared_points(ex.all_shared_points());
  s.set_racy_sites(ex.racy_sites());
  s.set_memory_model(ex.memory_model());
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
  bug.steps = again.rows;
  bug.preemptions = again.preemptions;
  for (int exact = 1; exact >= 0; --exact) {
    for (const PendingBug& b : again.bugs) {
      // A shrunk schedule may fail the same assertion with other values: its own message is
      // the one true of it.
      if (exact ? identity(b) == identity(found) : detail::same_bug(b, found)) {
        bug.kind = b.kind;
        bug.message = b.message;
        bug.trace += b.details;
        bug.sites = b.sites;
        return bug;
      }
    }
  }
  if (found.kind == BugKind::LockOrderInversion) {
    // The other half of the cycle was seen in an earlier schedule: this one only closes it.
    bug.kind = found.kind;
    bug.message = found.message;
    bug.sites = found.sites;
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
std::uint64_t probe_steps(const std::function<void()>& body, Execution& ex, const Options& o,
                          const std::function<void(std::uint64_t)>& each = {}) {
  constexpr std::uint64_t kProbes = 4;
  Options random = o;
  random.strategy = Strategy::Random;
  random.seed = o.seed ^ 0x9e3779b97f4a7c15ull;
  auto probe = detail::make_scheduler(random);
  ex.set_checkers(nullptr);
  std::uint64_t steps = 1;
  for (std::uint64_t p = 1; p <= kProbes; ++p) {
    probe->begin_execution(p);
    const std::uint64_t these = ex.run(body, *probe, /*record=*/false).steps;
    if (each) each(these);
    steps = std::max(steps, these);
  }
  return steps;
}

// SharedPoints::Racy learns where Shared<T> accesses race from a few random runs with every
// access a scheduling point and the checkers on, before the numbered schedules (which it does
// not depend on: a function of the body and the options, so every worker gets the same).
// `each` gets each probe's racy sites as it ends.
constexpr std::uint64_t kRacyProbes = 16;
std::vector<std::string> probe_racy_sites(
    const std::function<void()>& body, Execution& ex, const Options& o,
    const std::function<void(const std::vector<std::string>&)>& each = {}) {
  Options random = o;
  random.strategy = Strategy::Random;
  random.seed = o.seed ^ 0x7f4a7c159e3779b9ull;
  auto probe = detail::make_scheduler(random);
  Checkers checkers = detail::make_default_checkers();
  ex.set_checkers(&checkers);
  ex.set_shared_points(true, {}, /*learn=*/true);
  std::set<std::string> sites;
  for (std::uint64_t p = 1; p <= kRacyProbes; ++p) {
    probe->begin_execution(p);
    const RunResult r = ex.run(body, *probe, /*record=*/false);
    if (each) each(r.racy);
    sites.insert(r.racy.begin(), r.racy.end());
    if (!r.saw_shared) break;  // a body without Shared<T> variables has no racy site to find
  }
  ex.set_checkers(nullptr);
  return {sites.begin(), sites.end()};
}

// Tries to turn a predicted deadlock (a lock-order cycle) into a real one by steering schedules
// toward the inverted acquisition orders. Returns the Deadlock with its schedule if one comes.
std::optional<Bug> find_witness(const std::function<void()>& body, Execution& ex,
                                const PendingBug& inversion, const Options& options,
                                std::uint64_t iteration) {
  constexpr std::uint64_t kTries = 300;
  auto steer = detail::make_witness_scheduler(options.seed, inversion.locks);
  ex.set_checkers(nullptr);
  for (std::uint64_t k = 1; k <= kTries; ++k) {
    steer->begin_execution(k);
    RunResult w = ex.run(body, *steer, /*record=*/false);
    for (const PendingBug& b : w.bugs) {
      // Only a deadlock on the cycle's own locks witnesses it: a steered schedule may also
      // deadlock on two of them, or on others, which is not the cycle that was predicted.
      const bool on_the_cycle =
          b.kind == BugKind::Deadlock &&
          std::all_of(inversion.locks.begin(), inversion.locks.end(), [&](const std::string& lock) {
            return b.message.find(lock) != std::string::npos;
          });
      if (!on_the_cycle) continue;
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

// One exploration: runs schedules (here or in worker processes) and absorbs their outcomes in
// schedule order, so that the report is the same however the work was split.
class Explorer {
 public:
  Explorer(const std::function<void()>& body, const Options& options)
      : body_(body),
        options_(options),
        fibers_(options.stack_size),
        ex_(fibers_, options.max_steps, options.spurious_wakeups),
        scheduler_(detail::make_scheduler(options)),
        checkers_(options.checkers ? detail::make_default_checkers() : Checkers{}),
        start_(std::chrono::steady_clock::now()) {
    report_.strategy = std::string(to_string(options.strategy));
    report_.seed = options.seed;
    ex_.set_internal_steps(options.internal_steps);
    ex_.set_memory_model(options.memory_model);
  }

  Report run() {
    const bool parallel = options_.strategy != Strategy::DFS && options_.jobs > 1;
    // Before anything else runs the body: PCT's step estimate counts the points they make.
    isolated_ = parallel || options_.isolate;
    fuzzing_ = scheduler_->feeds_back();
    epoch_ = fuzzing_ ? kFuzzEpoch : kEpoch;
    choose_shared_points(isolated_);
    if (options_.strategy == Strategy::PCT || options_.strategy == Strategy::Portfolio ||
        options_.strategy == Strategy::Fuzz) {
      // The probes run the body too: where schedules run in worker processes, so do they (a
      // body that crashes must not take this process with it).
      scheduler_->set_step_estimate(parallel || options_.isolate
                                        ? probe_steps_isolated()
                                        : probe_steps(body_, ex_, options_));
    }
    if (parallel || options_.isolate) {
      run_in_workers(parallel ? options_.jobs : 1);
    } else {
      run_here();
    }
    return std::move(report_);
  }

 private:
  bool out_of_time() const {
    if (options_.time_budget_s <= 0) return false;
    const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start_;
    return spent.count() >= options_.time_budget_s;
  }

  // Runs numbered schedule `i`; false when the strategy has no schedule left.
  std::optional<RunResult> run_one(std::uint64_t i) {
    if (!scheduler_->begin_execution(i)) return std::nullopt;
    // checkers_ lives as long as this explorer, so finding its address installed means it is
    // still this set (re-runs and witness searches install their own, then none).
    if (ex_.checkers() != &checkers_) ex_.set_checkers(&checkers_);
    // Coverage is the fuzzer's feedback, taken only from its runs that teach: collecting it in
    // every run (sorted and deduplicated at the end of each) cost the default portfolio a
    // quarter of its time.
    ex_.set_coverage(fuzzing_ && teaches(i) && scheduler_->is_fuzz_run(i));
    RunResult r = ex_.run(body_, *scheduler_, /*record=*/false);
    scheduler_->end_execution(r.steps);
    return r;
  }

  void run_here() {
    // A stuck schedule cannot be ended in this process; it can at least be named.
    const double limit = options_.hang_timeout_s;
    const detail::StallWatch notice(limit, [limit] {
      std::fprintf(stderr,
                   "weft: the body has reached no weft operation for %s s: %s. weft cannot end "
                   "it in this process; with Options::isolate = true (the CLI's default) such a "
                   "schedule ends as a Hang bug with its schedule\n",
                   detail::format_seconds(limit).c_str(), detail::hang_hint().c_str());
    });
    std::uint64_t ran = 0;
    for (std::uint64_t i = 1; i <= options_.iterations; ++i) {
      if (i > 1 && out_of_time()) break;
      if (syncing() && epoch_begins(i)) (void)begin_epoch();
      if (!needed(i)) continue;
      std::optional<RunResult> r = run_one(i);
      if (!r) {
        report_.exhausted = true;
        break;
      }
      ran = i;
      if (learning_ && teaches(i)) note_racy(r->racy);
      if (fuzzing_ && teaches(i)) note_coverage(i, r->coverage);
      if (!mine(i)) continue;
      if (!absorb(i, std::move(*r), /*decisions_at_hand=*/true)) break;
    }
    // Without bugs nothing ran after the last schedule: its decisions are still at hand (in a
    // shard, another shard's schedule may have run after it: then it runs again).
    if (report_.bugs.empty() && report_.iterations > 0) {
      if (ran != report_.iterations) {
        scheduler_->begin_execution(report_.iterations);
        ex_.set_checkers(nullptr);
        (void)ex_.run(body_, *scheduler_, /*record=*/false);
      }
      report_.last = last_schedule(ex_, ex_.decisions());
    }
  }

  // A found schedule's comment: how to find it again.
  std::string found_by(std::uint64_t i, BugKind kind) const {
    const std::string member = options_.strategy == Strategy::Portfolio
                                   ? "; it ran " + detail::portfolio_member(options_.seed, i)
                                   : std::string();
    return "found by " + report_.strategy + " (seed " + std::to_string(options_.seed) + member +
           "), schedule " + std::to_string(i) + ": " + std::string(to_string(kind));
  }

  // Takes schedule i's outcome, in order. Returns false to stop exploring.
  bool absorb(std::uint64_t i, RunResult r, bool decisions_at_hand) {
    // Cycles are looked for among one schedule's edges: in one schedule a thread may do what
    // another thread does in the next (a job claimed once), and joining their edges would
    // report orders no execution has. Within a schedule, edges from any time combine.
    if (!r.edges.empty()) add_lock_findings(r, *detail::make_lock_graph());
    report_.iterations = i;
    struct Progress {  // reported once this schedule's bugs are in
      const Explorer& e;
      ~Progress() {
        if (e.options_.progress) e.options_.progress(e.report_.iterations, e.report_.bugs.size());
      }
    } progress{*this};
    std::vector<PendingBug> fresh;
    for (PendingBug& b : r.bugs) {
      if (seen_.insert(identity(b)).second) fresh.push_back(std::move(b));
    }
    if (fresh.empty()) return true;
    const std::string how = found_by(i, fresh.front().kind);
    // Another process ran it and sent its decisions along.
    const Schedule schedule = decisions_at_hand
                                  ? schedule_of(ex_, options_, how)
                                  : schedule_of(ex_, r.decisions, options_, how, r.fingerprint);
    absorb_bugs(i, fresh, schedule);
    return !options_.stop_on_first_bug;
  }

  void absorb_bugs(std::uint64_t i, const std::vector<PendingBug>& fresh,
                   const Schedule& schedule) {
    // The re-run of `schedule`, shared by its bugs, and its length as its trace numbers steps.
    std::optional<RunResult> found_again;
    std::size_t found_rows = 0;
    auto rerun_found = [&]() -> const RunResult& {
      if (!found_again) {
        found_again = rerun(body_, ex_, schedule, options_.checkers);
        found_rows = ex_.recorded_trace().size();
      }
      return *found_again;
    };
    for (const PendingBug& b : fresh) {
      std::optional<detail::Shrunk> s;
      if (options_.shrink && detail::shrinkable(b.kind)) s = shrink(schedule, b);
      if (!s) {
        report_.bugs.push_back(confirm(b, rerun_found(), schedule, i));
      } else {
        (void)rerun_found();
        // Its trace first, then the comment that tells its length.
        const Schedule draft = schedule_of(ex_, s->decisions, options_, {}, s->fingerprint);
        const RunResult again = rerun(body_, ex_, draft, options_.checkers);
        const std::string note = "shrunk from " + std::to_string(found_rows) + " to " +
                                 std::to_string(ex_.recorded_trace().size()) + " steps, " +
                                 plural(again.preemptions, "preemption") + " (" +
                                 std::to_string(s->preemptions_before) + " before)";
        const Schedule shrunk = schedule_of(ex_, s->decisions, options_,
                                            schedule.comment() + "; " + note, s->fingerprint);
        report_.bugs.push_back(confirm(b, again, shrunk, i));
        report_.bugs.back().shrunk = note;
      }
      if (b.kind != BugKind::LockOrderInversion || b.locks.empty()) continue;
      const bool deadlocked = std::any_of(fresh.begin(), fresh.end(), [](const PendingBug& d) {
        return d.kind == BugKind::Deadlock;
      });
      if (deadlocked) continue;  // this very schedule is the witness
      if (std::optional<Bug> witness = find_witness(body_, ex_, b, options_, i)) {
        if (seen_.insert({BugKind::Deadlock, witness->message}).second) {
          report_.bugs.back().trace +=
              "witness: a schedule steered toward this order deadlocks on these locks; it is "
              "the next bug, with its own schedule\n";
          report_.bugs.push_back(std::move(*witness));
        } else {
          report_.bugs.back().trace +=
              "witness: a schedule steered toward this order deadlocks on these locks, as the "
              "Deadlock already reported does\n";
        }
      } else {
        report_.bugs.back().trace +=
            "no witness: 300 schedules steered toward the inverted order did not deadlock "
            "(the orders may be separated in time, e.g. by a join)\n";
      }
    }
  }

  // A Crash or Hang: the run ended its process (or was ended), so the trace comes from a re-run
  // in a child process that reports what it has when the same thing happens again.
  Bug lost_run_bug(const PendingBug& b, const Schedule& schedule, std::uint64_t i) {
    Bug bug;
    bug.kind = b.kind;
    bug.message = b.message;
    bug.schedule = schedule;
    bug.iteration = i;
    bug.trace = trace_of_lost_run(schedule, b.kind == BugKind::Hang);
    if (b.kind == BugKind::Crash) {
      bug.trace +=
          "  to see the crash in a debugger, replay it in one process: the CLI's replay NAME FILE "
          "--in-process, or weft::replay\n";
    }
    return bug;
  }

  std::string trace_of_lost_run(const Schedule& schedule, bool hung) {
    // With the watchdog off a crash's re-run still needs a limit: one that never ends would hold
    // up the report.
    const double limit = options_.hang_timeout_s > 0 ? options_.hang_timeout_s : 10;
    const detail::ChildOutput child = detail::run_in_child(
        [&](int fd) {
          detail::on_fatal_signal([fd, limit](const detail::PartialRun& run) {
            detail::write_all(fd, detail::describe_partial_run(run, limit));
          });
          const detail::StallWatch watch(limit, detail::interrupt_model_thread(), schedule.size(),
                                         detail::kSettleSeconds);
          const RunResult again = rerun(body_, ex_, schedule, false);
          detail::write_all(fd, again.trace + "  (this trace is from a re-run, which did not " +
                                    (hung ? "hang" : "crash") + ": is the body deterministic?)\n");
        },
        2 * limit + 5);
    if (!child.bytes.empty()) return child.bytes;
    return "  (no trace: the re-run that makes it " +
           std::string(child.timed_out ? "did not end either" : "ended before writing one") +
           "; the schedule holds every decision made up to the end)\n";
  }

  static std::string plural(std::uint64_t n, const std::string& what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  }

  // Options::shrink: the bug's schedule minimised. Where schedules run in worker processes, so
  // does the shrinking (a candidate may crash where the found schedule did not); a child that
  // does not come back leaves the schedule as found.
  std::optional<detail::Shrunk> shrink(const Schedule& schedule, const PendingBug& b) {
    if (!isolated_) return detail::shrink_schedule(body_, ex_, schedule.decisions(), b);
    const double limit = options_.hang_timeout_s > 0 ? 4 * options_.hang_timeout_s : 0;
    const detail::ChildOutput child = detail::run_in_child(
        [&](int fd) {
          const detail::StallWatch watch(options_.hang_timeout_s,
                                         [] { ::_exit(detail::kHungExit); });
          const std::optional<detail::Shrunk> s =
              detail::shrink_schedule(body_, ex_, schedule.decisions(), b);
          if (!s) return;
          std::string out = std::to_string(s->steps_before) + " " + std::to_string(s->steps_after) +
                            " " + std::to_string(s->preemptions_before) + " " +
                            std::to_string(s->preemptions_after) + " " +
                            std::to_string(s->fingerprint) + "\n";
          out += Schedule(s->decisions).to_string();
          (void)detail::write_all(fd, out);
        },
        limit);
    if (!child.clean || child.bytes.empty()) return std::nullopt;
    try {
      const std::size_t eol = child.bytes.find('\n');
      std::istringstream head(child.bytes.substr(0, eol));
      detail::Shrunk s;
      head >> s.steps_before >> s.steps_after >> s.preemptions_before >> s.preemptions_after >>
          s.fingerprint;
      if (!head || eol == std::string::npos) return std::nullopt;
      s.decisions = Schedule::parse(child.bytes.substr(eol + 1)).decisions();
      return s;
    } catch (const ScheduleError&) {
      return std::nullopt;
    }
  }

  // Every Shared<T> access a point (SharedPoints::All; without checkers there is no race
  // information), or those at the sites the probes saw race.
  void choose_shared_points(bool isolated) {
    if (options_.shared_points == SharedPoints::All || !options_.checkers) {
      ex_.set_shared_points(true, {});
      return;
    }
    std::vector<std::string> sites;
    if (isolated) {
      // One line per site, as each probe ends: a probe that crashes keeps what came before.
      const detail::ChildOutput child = detail::run_in_child([&](int fd) {
        const detail::StallWatch watch(options_.hang_timeout_s, [] { ::_exit(detail::kHungExit); });
        probe_racy_sites(body_, ex_, options_, [fd](const std::vector<std::string>& racy) {
          for (const std::string& site : racy) (void)detail::write_all(fd, site + "\n");
        });
      });
      std::set<std::string> seen;
      std::size_t at = 0;
      for (std::size_t end; (end = child.bytes.find('\n', at)) != std::string::npos; at = end + 1) {
        seen.insert(child.bytes.substr(at, end - at));
      }
      sites.assign(seen.begin(), seen.end());
    } else {
      sites = probe_racy_sites(body_, ex_, options_);
    }
    learnt_.insert(sites.begin(), sites.end());
    // DFS's schedules depend on the ones before: its points must not change under it.
    learning_ = options_.strategy != Strategy::DFS;
    ex_.set_shared_points(false, std::move(sites), learning_);
  }

  // Sites are learnt in epochs of kEpoch schedules: schedule i makes points of the sites learnt
  // before the epoch before its own began, whichever process ran the schedules that found them,
  // so a report is the same for any --jobs.
  // With the fuzzer's feedback, epochs are shorter: its corpus grows only between them.
  static constexpr std::uint64_t kEpoch = 512;
  static constexpr std::uint64_t kFuzzEpoch = 128;
  bool epoch_begins(std::uint64_t i) const { return i > 1 && (i - 1) % epoch_ == 0; }
  // Whether anything is learnt in epochs (racy sites, the fuzzer's corpus).
  bool syncing() const { return learning_ || fuzzing_; }

  // What is learnt comes from one schedule in kTeach: the same ones in every run, sharded or
  // not. A shard must run every schedule that teaches (it learns what the whole run learns),
  // so learning from all of them would make each shard run nearly the whole run; one in four
  // keeps a shard's share near 1/4 + 1/N, while the racy sites and the fuzzer's corpus still
  // grow every epoch.
  static constexpr std::uint64_t kTeach = 4;
  static bool teaches(std::uint64_t i) { return (i - 1) % kTeach == 0; }

  // Sharding: the schedules this run reports, and those it runs: its own, and those that teach
  // in the epochs before the last two (what they teach would take effect after the last).
  bool mine(std::uint64_t i) const {
    return options_.shard_count <= 1 || i % options_.shard_count == options_.shard_index;
  }
  bool needed(std::uint64_t i) const {
    return mine(i) ||
           (syncing() && teaches(i) && (i - 1) / epoch_ + 1 < (options_.iterations - 1) / epoch_);
  }

  // Keeps a fuzz run that showed new interleaving coverage, for the corpus of the next epoch.
  void note_coverage(std::uint64_t i, const std::vector<std::uint64_t>& coverage) {
    if (!scheduler_->is_fuzz_run(i)) return;
    bool fresh = false;
    for (const std::uint64_t h : coverage) fresh |= covered_.insert(h).second;
    if (fresh) admitted_.push_back(i);
  }

  // Keeps a run's racy sites that are new, for the next epoch.
  void note_racy(const std::vector<std::string>& racy) {
    for (const std::string& site : racy) {
      if (!learnt_.contains(site)) fresh_sites_.insert(site);
    }
  }

  // What an epoch taught: racy sites new to it, and its fuzz runs with new coverage.
  struct Lesson {
    std::vector<std::string> sites;
    std::vector<std::uint64_t> admitted;
  };

  // At the start of epoch E: what epoch E-1 taught is put aside (and returned, for the
  // workers), and what epoch E-2 taught takes effect: its racy sites join the points, its fuzz
  // runs the fuzzer's corpus. The lag of one epoch lets worker processes run epoch E while the
  // exploring process still takes in E-1: with no lag every worker would wait at each epoch's
  // end for the slowest one and for the exploring process (measured: a sixth of a --jobs 2 run,
  // docs/BENCHMARKS.md section 13). Every process, and a run without workers, keeps the same
  // lag.
  Lesson begin_epoch() {
    Lesson taught{{fresh_sites_.begin(), fresh_sites_.end()}, std::move(admitted_)};
    fresh_sites_.clear();
    admitted_.clear();
    learn(std::exchange(put_aside_, taught));
    return taught;
  }

  void learn(const Lesson& l) {
    if (!l.admitted.empty()) scheduler_->admit(l.admitted);
    // A site seen again while its lesson was put aside comes twice: only new ones reset the
    // points (which also drops the execution's per-declaration answers).
    bool added = false;
    for (const std::string& site : l.sites) added |= learnt_.insert(site).second;
    if (added) ex_.set_shared_points(false, {learnt_.begin(), learnt_.end()}, true);
  }

  // --- worker processes

  // probe_steps() in a child process, which sends each probe's step count as it ends. When a
  // probe crashes, the estimate comes from the probes before it, or is kFallbackSteps: either
  // way a function of the body and the options, so every worker gets the same.
  std::uint64_t probe_steps_isolated() {
    constexpr std::uint64_t kFallbackSteps = 1000;
    const detail::ChildValues sent =
        detail::run_in_child_values([&](const std::function<void(std::uint64_t)>& send) {
          const detail::StallWatch watch(options_.hang_timeout_s,
                                         [] { ::_exit(detail::kHungExit); });
          send(probe_steps(body_, ex_, options_, send));  // the estimate itself comes last
        });
    const std::vector<std::uint64_t>& values = sent.values;
    if (sent.clean && !values.empty()) return values.back();
    const std::uint64_t best = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
    return best != 0 ? best : kFallbackSteps;
  }

  void run_in_workers(unsigned jobs) {
    detail::Workers workers(jobs, options_.max_steps, options_.hang_timeout_s,
                            [&](detail::WorkerLink& link) { worker_main(link, jobs); });
    for (std::uint64_t next = 1; next <= options_.iterations; ++next) {
      if (syncing() && epoch_begins(next)) {
        // Every schedule of the last epoch is in: the workers hear what it found (one line per
        // site, one "#N" per fuzz run admitted; perhaps none) and take it in an epoch later.
        const Lesson taught = begin_epoch();
        std::string message;
        for (const std::string& site : taught.sites) message += site + "\n";
        for (const std::uint64_t i : taught.admitted) message += "#" + std::to_string(i) + "\n";
        workers.tell(message);
      }
      if (!needed(next)) {
        workers.skip(next);
        continue;
      }
      std::optional<RunResult> r = workers.take(next);
      if (!r) {
        // Its worker stopped (time budget, or the strategy had no schedule left): nothing more
        // in order.
        if (workers.exhausted(next)) report_.exhausted = true;
        break;
      }
      if (learning_ && teaches(next)) note_racy(r->racy);
      if (fuzzing_ && teaches(next)) note_coverage(next, r->coverage);
      if (!mine(next)) continue;
      const bool lost = !r->bugs.empty() && (r->bugs.back().kind == BugKind::Crash ||
                                             r->bugs.back().kind == BugKind::Hang);
      // A crashed or stuck run's decisions up to there are its schedule: running it again here
      // would crash or stop this process too.
      const bool go_on = lost ? absorb_lost_run(next, std::move(*r))
                              : absorb(next, std::move(*r), /*decisions_at_hand=*/false);
      if (!go_on) break;
    }
    workers.stop();
    // The last schedule: as its worker ran it, or regenerated here (a schedule of a strategy
    // other than DFS is a function of its number).
    if (report_.iterations > 0 && report_.bugs.empty()) {
      if (const auto* last = workers.last_decisions(report_.iterations)) {
        report_.last = last_schedule(ex_, *last);
      } else if (options_.strategy != Strategy::DFS) {
        scheduler_->begin_execution(report_.iterations);
        ex_.set_checkers(nullptr);
        (void)ex_.run(body_, *scheduler_, /*record=*/false);
        report_.last = last_schedule(ex_, ex_.decisions());
      }
    }
  }

  bool absorb_lost_run(std::uint64_t i, RunResult r) {
    report_.iterations = i;
    if (options_.progress) options_.progress(i, report_.bugs.size() + 1);
    PendingBug b = std::move(r.bugs.back());
    if (!seen_.insert(identity(b)).second) return true;
    // No fingerprint: the worker could not send one.
    const Schedule schedule = schedule_of(ex_, r.decisions, options_, found_by(i, b.kind), 0);
    report_.bugs.push_back(lost_run_bug(b, schedule, i));
    return !options_.stop_on_first_bug;
  }

  // In worker `link.index()` of `jobs`: runs its share of the schedules, sending each outcome
  // (with the decisions of a run with bugs, which DFS could not regenerate) as it ends.
  void worker_main(detail::WorkerLink& link, unsigned jobs) {
    const unsigned w = link.index();
    link.mirror_decisions(ex_);
    detail::StallWatch watch(options_.hang_timeout_s, [&link] {
      link.mark_hung();
      ::_exit(detail::kHungExit);
    });
    bool exhausted = false;
    std::uint64_t ran = 0;
    std::uint64_t epoch = 0;
    for (std::uint64_t i = w + 1; i <= options_.iterations; i += jobs) {
      if (i > w + 1 && out_of_time()) break;
      // Each epoch begins with what the exploring process learnt from the one before the one
      // before, from every worker's schedules.
      while (syncing() && (i - 1) / epoch_ > epoch) {
        ++epoch;
        if (epoch < 2) continue;  // epoch E learns what E-2 taught (begin_epoch)
        watch.hold(true);
        const std::string message = link.receive();
        watch.hold(false);
        Lesson l;
        for (std::size_t at = 0, end; (end = message.find('\n', at)) != std::string::npos;
             at = end + 1) {
          if (message[at] == '#') {
            l.admitted.push_back(std::stoull(message.substr(at + 1, end - at - 1)));
          } else {
            l.sites.push_back(message.substr(at, end - at));
          }
        }
        learn(l);
      }
      if (!needed(i)) continue;
      link.running(i);
      std::optional<RunResult> r = run_one(i);
      if (!r) {
        exhausted = true;
        break;
      }
      ran = i;
      // A lock-order cycle is found by the exploring process from the run's edges; the
      // worker looks for one too, so that such a run also carries its schedule.
      const bool buggy = !r->bugs.empty() || closes_lock_cycle(r->edges);
      if (buggy) r->decisions = ex_.decisions();
      // Only sites new to this epoch's points are news for the exploring process.
      std::erase_if(r->racy, [&](const std::string& site) { return learnt_.contains(site); });
      // Coverage this worker sent before is in the exploring process's set already (it took
      // that run first): only the rest can make this run new.
      if (fuzzing_ && scheduler_->is_fuzz_run(i) && teaches(i)) {
        std::erase_if(r->coverage, [&](std::uint64_t h) { return !covered_.insert(h).second; });
      } else {
        r->coverage.clear();
      }
      watch.hold(true);  // a full pipe waits for the exploring process, not for the body
      const bool urgent = buggy || !r->racy.empty();
      link.send(i, *r, urgent, !r->coverage.empty());
      watch.hold(false);
      if (buggy && options_.stop_on_first_bug && mine(i)) break;
    }
    link.running(0);
    watch.hold(true);
    link.finish(exhausted, ran, ran != 0 ? ex_.decisions() : std::vector<Schedule::Decision>{});
  }

  const std::function<void()>& body_;
  Options options_;
  detail::Fibers fibers_;
  Execution ex_;
  std::unique_ptr<detail::Scheduler> scheduler_;
  Checkers checkers_;
  std::set<std::pair<BugKind, std::string>> seen_;
  // SharedPoints::Racy, learnt in schedule order: the racy sites in force (the probes', then
  // those of every earlier epoch), and those seen in the current epoch.
  bool learning_ = false;
  std::set<std::string> learnt_;
  std::set<std::string> fresh_sites_;
  Report report_;
  bool isolated_ = false;  // schedules run in worker processes
  // The fuzzer's feedback: coverage seen so far (in a worker: what it sent), fuzz runs of this
  // epoch with new coverage, and the epoch length.
  bool fuzzing_ = false;
  std::unordered_set<std::uint64_t> covered_;
  std::vector<std::uint64_t> admitted_;
  Lesson put_aside_;  // what the last epoch taught, in effect from the next (begin_epoch)
  std::uint64_t epoch_ = kEpoch;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

Report explore(std::function<void()> body, const Options& options) {
  validate(options);
  if (!body) throw UsageError("weft::explore needs a body to run");
  if (options.jobs == 0) throw UsageError("Options::jobs must be at least 1");
  if (options.shard_count == 0 || options.shard_index >= options.shard_count) {
    throw UsageError("Options::shard_index must be below Options::shard_count (shard " +
                     std::to_string(options.shard_index) + " of " +
                     std::to_string(options.shard_count) + ")");
  }
  if (options.shard_count > 1 && options.strategy == Strategy::DFS) {
    throw UsageError(
        "DFS cannot be sharded: each of its schedules depends on the one before (use another "
        "strategy, or one shard)");
  }
  return Explorer(body, options).run();
}

Report replay_continue(std::function<void()> body, const Schedule& schedule,
                       const Options& options) {
  validate(options);
  if (!body) throw UsageError("weft::replay_continue needs a body to run");
  Options strategy = options;
  // DFS's next schedule depends on the last one's: it cannot take over in the middle of a run.
  if (strategy.strategy == Strategy::DFS) strategy.strategy = Strategy::Random;
  Report report;
  report.strategy = "replay --continue, then " + std::string(to_string(strategy.strategy));
  report.seed = options.seed;
  detail::Fibers fibers(options.stack_size);
  Execution ex(fibers, options.max_steps, options.spurious_wakeups || schedule.spurious_wakeups());
  ex.set_internal_steps(options.internal_steps);
  ex.set_shared_points_of(schedule);
  ex.set_memory_model(schedule.memory_model());
  Checkers checkers = options.checkers ? detail::make_default_checkers() : Checkers{};
  // An edit can shift the body's steps so that later decisions still fit but mean something
  // else, and the run ends before the plan does: the first run follows all that fits, the next
  // ones follow ever shorter prefixes of that (the longest first, then cycling), so that the
  // strategy takes over at every point of the old schedule in turn.
  std::size_t fits = schedule.size();
  for (std::uint64_t k = 1; k <= options.iterations; ++k) {
    const std::size_t cut = k == 1 ? schedule.size() : fits - (k - 2) % (fits + 1);
    auto after = detail::make_scheduler(strategy);
    after->set_step_estimate(std::max<std::size_t>(schedule.size(), 1));
    auto guided = detail::make_guided_scheduler(
        {schedule.decisions().begin(),
         schedule.decisions().begin() + static_cast<std::ptrdiff_t>(cut)},
        std::move(after));
    guided->begin_execution(k);
    ex.set_checkers(&checkers);
    RunResult r = ex.run(body, *guided, /*record=*/false);
    ex.set_checkers(nullptr);
    if (!r.edges.empty()) add_lock_findings(r, *detail::make_lock_graph());
    report.iterations = k;
    const std::size_t followed = detail::guided_followed(*guided);
    if (k == 1) fits = followed;
    const bool whole = followed == schedule.size() && ex.decisions().size() == schedule.size();
    if (!r.bugs.empty()) {
      const std::string how =
          "continued from a schedule: " + std::to_string(followed) + " of its " +
          std::to_string(schedule.size()) + " decisions followed, then " +
          std::string(to_string(strategy.strategy)) + " (seed " + std::to_string(options.seed) +
          "), run " + std::to_string(k) + ": " + std::string(to_string(r.bugs.front().kind));
      const Schedule found = schedule_of(ex, strategy, how);
      const RunResult again = rerun(body, ex, found, options.checkers);
      std::set<std::pair<BugKind, std::string>> seen;
      for (const PendingBug& b : r.bugs) {
        if (seen.insert(identity(b)).second) report.bugs.push_back(confirm(b, again, found, k));
      }
      break;
    }
    // The schedule fitted the body whole and the run needed nothing more: it is a replay, and
    // one without the bug the schedule was saved for.
    if (k == 1 && whole) break;
  }
  return report;
}

namespace {
std::atomic<bool> g_internal_steps{false};
}  // namespace

void detail::set_internal_steps_default(bool shown) noexcept { g_internal_steps = shown; }
bool detail::internal_steps_default() noexcept { return g_internal_steps; }

std::vector<TraceStep> trace_steps(std::function<void()> body, const Schedule& schedule) {
  validate(Options{});
  if (!body) throw UsageError("weft::trace_steps needs a body to run");
  detail::Fibers fibers(Options{}.stack_size);
  Execution ex(fibers, schedule.max_steps() != 0 ? schedule.max_steps() : schedule.size() + 1,
               schedule.spurious_wakeups());
  ex.set_internal_steps(detail::internal_steps_default());
  ex.set_shared_points_of(schedule);
  ex.set_memory_model(schedule.memory_model());
  auto replayer = detail::make_replay_scheduler(schedule);
  replayer->begin_execution(1);
  (void)ex.run(body, *replayer, /*record=*/true);
  return detail::format_steps(ex.recorded_trace(), ex, ex.internal_steps());
}

namespace {

// Steps through a pipe: numbers in decimal, strings prefixed with their length.
void put(std::string& out, std::uint64_t v) { out += std::to_string(v) + ' '; }
void put(std::string& out, const std::string& s) {
  put(out, s.size());
  out += s;
}

std::string encode_steps(const std::vector<TraceStep>& steps) {
  std::string out;
  for (const TraceStep& s : steps) {
    put(out, s.thread);
    put(out, s.thread_name);
    put(out, s.operation);
    put(out, s.value);
    put(out, s.location);
    put(out, s.blocked ? 1 : 0);
    put(out, s.file);
    put(out, s.line);
  }
  return out;
}

// The whole steps in `in` (a cut-off last one is dropped).
std::vector<TraceStep> decode_steps(std::string_view in) {
  std::vector<TraceStep> steps;
  auto number = [&](std::uint64_t& v) {
    const std::size_t space = in.find(' ');
    if (space == std::string_view::npos || space == 0) return false;
    v = std::stoull(std::string(in.substr(0, space)));
    in.remove_prefix(space + 1);
    return true;
  };
  auto text = [&](std::string& s) {
    std::uint64_t n = 0;
    if (!number(n) || n > in.size()) return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  };
  for (;;) {
    TraceStep s;
    std::uint64_t blocked = 0;
    std::uint64_t line = 0;
    if (!number(s.thread) || !text(s.thread_name) || !text(s.operation) || !text(s.value) ||
        !text(s.location) || !number(blocked) || !text(s.file) || !number(line)) {
      return steps;
    }
    s.blocked = blocked != 0;
    s.line = static_cast<unsigned>(line);
    steps.push_back(std::move(s));
  }
}

}  // namespace

std::vector<TraceStep> detail::trace_steps_in_child(const std::function<void()>& body,
                                                    const Schedule& schedule,
                                                    double hang_timeout_s) {
  const double limit = hang_timeout_s > 0 ? hang_timeout_s : 10;
  const ChildOutput child = run_in_child(
      [&](int fd) {
        on_fatal_signal([fd](const PartialRun& run) { write_all(fd, encode_steps(run.steps)); });
        const StallWatch watch(limit, interrupt_model_thread(), schedule.size(), kSettleSeconds);
        const std::vector<TraceStep> steps = trace_steps(body, schedule);
        write_all(fd, encode_steps(steps));
      },
      2 * limit + 5);
  return decode_steps(child.bytes);
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
  ex.set_internal_steps(detail::internal_steps_default());
  ex.set_shared_points_of(schedule);
  ex.set_memory_model(schedule.memory_model());
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
    bug.preemptions = r.preemptions;
    bug.kind = b.kind;
    bug.message = std::move(b.message);
    bug.trace = r.trace + b.details;
    bug.steps = r.rows;
    bug.sites = std::move(b.sites);
    report.bugs.push_back(std::move(bug));
  }
  // Decisions left over mean the recording went on where this run stopped, also when it
  // stopped at a bug: a schedule is saved up to the step that ended its run, so a faithful
  // replay uses all of it. Only after a divergence (itself a Nondeterminism) is the rest unused
  // by definition.
  const bool diverged = std::any_of(report.bugs.begin(), report.bugs.end(),
                                    [](const Bug& b) { return b.kind == BugKind::Nondeterminism; });
  const std::size_t unused = detail::replay_unused(*replayer);
  // A schedule weft saved (it has the body's fingerprint) fits its body whole: a divergence
  // then says it is another body's or cut short, which blaming the body would hide.
  if ((diverged || unused > 0) && schedule.body() != 0) {
    const bool whole_prefix = r.steps >= Execution::kFingerprintSteps;
    const bool other_body = r.fingerprint != schedule.body();
    if (detail::replay_ran_out(*replayer) && !(whole_prefix && other_body)) {
      throw ScheduleError("the schedule ends before the run does (after its " +
                          std::to_string(schedule.size()) + " decisions): the file is cut short" +
                          (other_body ? ", or it was recorded for a different body" : ""));
    }
    if (other_body) {
      throw ScheduleError(
          "the schedule was recorded for a different body: the first operations of this run "
          "(their kinds and source lines) are not the recorded ones (was the code changed "
          "since? a body that is not deterministic from its start does this too)");
    }
  }
  if (unused > 0 && !diverged) {
    Bug bug;
    bug.iteration = 1;
    bug.schedule = schedule;
    bug.trace = std::move(r.trace);
    bug.steps = std::move(r.rows);
    bug.kind = BugKind::Nondeterminism;
    bug.message = "the run ended with " + std::to_string(unused) + " of the schedule's " +
                  std::to_string(schedule.size()) +
                  " decisions unused (is the body deterministic, and is this its schedule?)";
    report.bugs.push_back(std::move(bug));
  }
  return report;
}

Report detail::fuzz_one(const std::function<void()>& body, std::span<const std::uint8_t> bytes,
                        std::vector<std::uint64_t>* coverage) {
  if (!body) throw UsageError("weft::detail::fuzz_one needs a body to run");
  const Options options;
  // libFuzzer calls this some thousands of times a second: the stacks and the model's tables
  // are made once and reused, as an exploration reuses them from one schedule to the next
  // (each run starts from a clean model state, so reuse changes no run).
  static detail::Fibers fibers(options.stack_size);
  static Execution ex(fibers, options.max_steps, options.spurious_wakeups);
  ex.set_internal_steps(detail::internal_steps_default());
  // Every Shared<T> access is a scheduling point: SharedPoints::Racy would learn its sites from
  // random probe runs first, and an input's run must be a function of its bytes alone.
  ex.set_shared_points(true, {});
  ex.set_coverage(coverage != nullptr);
  auto bytes_scheduler = detail::make_byte_scheduler(bytes);
  bytes_scheduler->begin_execution(1);
  Checkers checkers = detail::make_default_checkers();
  ex.set_checkers(&checkers);
  RunResult r = ex.run(body, *bytes_scheduler, /*record=*/false);
  ex.set_checkers(nullptr);
  ex.set_coverage(false);
  // A fresh lock graph: a lock-order cycle within this one run is a bug of this input; one
  // spread over several inputs is not a schedule libFuzzer could save.
  if (!r.edges.empty()) add_lock_findings(r, *detail::make_lock_graph());
  if (coverage != nullptr) *coverage = std::move(r.coverage);
  Report report;
  report.strategy = "libfuzzer";
  report.iterations = 1;
  if (r.bugs.empty()) return report;
  // The run is re-done from its recorded decisions with the trace on (what explore does for a
  // bug), which also checks that the schedule saved for it reproduces it.
  const Schedule schedule =
      schedule_of(ex, options,
                  "libFuzzer input of " + std::to_string(bytes.size()) +
                      " bytes: " + std::string(to_string(r.bugs.front().kind)));
  const RunResult again = rerun(body, ex, schedule, /*checkers_on=*/true);
  std::set<std::pair<BugKind, std::string>> seen;
  for (const PendingBug& b : r.bugs) {
    if (seen.insert(identity(b)).second) report.bugs.push_back(confirm(b, again, schedule, 1));
  }
  return report;
}

}  // namespace weft
