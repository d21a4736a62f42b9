#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include <weft/detail/checker.hpp>
#include <weft/detail/platform.hpp>
#include <weft/explore.hpp>

#include "execution.hpp"
#include "fiber.hpp"
#include "scheduler.hpp"
#include "wire.hpp"

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

Schedule schedule_of(const std::vector<Schedule::Decision>& decisions, const Options& o,
                     const std::string& how) {
  Schedule s(decisions, how);
  s.set_max_steps(o.max_steps);
  s.set_spurious_wakeups(o.spurious_wakeups);
  return s;
}

Schedule schedule_of(const Execution& ex, const Options& o, const std::string& how) {
  return schedule_of(ex.decisions(), o, how);
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
  }

  Report run() {
    const bool parallel = options_.strategy != Strategy::DFS && options_.jobs > 1;
    if (options_.strategy == Strategy::PCT) {
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
    RunResult r = ex_.run(body_, *scheduler_, /*record=*/false);
    scheduler_->end_execution(r.steps);
    return r;
  }

  void run_here() {
    for (std::uint64_t i = 1; i <= options_.iterations; ++i) {
      if (i > 1 && out_of_time()) break;
      std::optional<RunResult> r = run_one(i);
      if (!r) {
        report_.exhausted = true;
        break;
      }
      if (!absorb(i, std::move(*r), /*decisions_at_hand=*/true)) break;
    }
    // Without bugs nothing ran after the last schedule: its decisions are still at hand.
    if (report_.bugs.empty() && report_.iterations > 0) report_.last = Schedule(ex_.decisions());
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
    const std::string how = "found by " + report_.strategy + " (seed " +
                            std::to_string(options_.seed) + "), schedule " + std::to_string(i) +
                            ": " + std::string(to_string(fresh.front().kind));
    // Another process ran it and sent its decisions along.
    const Schedule schedule = decisions_at_hand ? schedule_of(ex_, options_, how)
                                                : schedule_of(r.decisions, options_, how);
    absorb_bugs(i, fresh, schedule);
    return !options_.stop_on_first_bug;
  }

  void absorb_bugs(std::uint64_t i, const std::vector<PendingBug>& fresh,
                   const Schedule& schedule) {
    const RunResult again = rerun(body_, ex_, schedule, options_.checkers);
    for (const PendingBug& b : fresh) {
      report_.bugs.push_back(b.kind == BugKind::Crash ? crash_bug(b, schedule, i)
                                                      : confirm(b, again, schedule, i));
      if (b.kind != BugKind::LockOrderInversion || b.locks.empty()) continue;
      const bool deadlocked = std::any_of(fresh.begin(), fresh.end(), [](const PendingBug& d) {
        return d.kind == BugKind::Deadlock;
      });
      if (deadlocked) continue;  // this very schedule is the witness
      if (std::optional<Bug> witness = find_witness(body_, ex_, b, options_, i)) {
        report_.bugs.back().trace +=
            "witness: a steered schedule really deadlocks; it is reported as the next bug\n";
        if (seen_.insert({BugKind::Deadlock, witness->message}).second) {
          report_.bugs.push_back(std::move(*witness));
        }
      } else {
        report_.bugs.back().trace +=
            "no witness: 300 schedules steered toward the inverted order did not deadlock "
            "(the orders may be separated in time, e.g. by a join)\n";
      }
    }
  }

  static Bug crash_bug(const PendingBug& b, const Schedule& schedule, std::uint64_t i) {
    Bug bug;
    bug.kind = BugKind::Crash;
    bug.message = b.message;
    bug.schedule = schedule;
    bug.iteration = i;
    bug.trace =
        "  (no trace: the process running the body died; the schedule holds every "
        "decision made up to the crash — replay it under a debugger)\n";
    return bug;
  }

  // --- worker processes

  // probe_steps() in a child process, which sends each probe's step count as it ends. When a
  // probe crashes, the estimate comes from the probes before it, or is kFallbackSteps: either
  // way a function of the body and the options, so every worker gets the same.
  std::uint64_t probe_steps_isolated() {
    constexpr std::uint64_t kFallbackSteps = 1000;
    int fds[2];
    if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    std::fflush(nullptr);  // buffered output must not be written twice
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int e = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      throw std::system_error(e, std::generic_category(), "fork");
    }
    if (pid == 0) {
      ::close(fds[0]);
      int code = 0;
      auto send = [&](std::uint64_t v) {
        if (::write(fds[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(3);
      };
      try {
        send(probe_steps(body_, ex_, options_, send));  // the estimate itself comes last
      } catch (...) {
        code = 3;
      }
      ::_exit(code);
    }
    ::close(fds[1]);
    std::vector<std::uint64_t> values;
    std::uint64_t v = 0;
    std::size_t got = 0;
    for (;;) {
      const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&v) + got, sizeof v - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
      if (got == sizeof v) {
        values.push_back(v);
        got = 0;
      }
    }
    ::close(fds[0]);
    int status = 0;
    detail::wait_child(pid, &status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !values.empty()) return values.back();
    const std::uint64_t best = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
    return best != 0 ? best : kFallbackSteps;
  }

  struct Slot {  // shared with one worker: what it runs now, and that run's decisions
    std::uint64_t iteration;
    std::uint64_t count;
  };

  struct ExploreWorker {
    pid_t pid = -1;
    int fd = -1;
    detail::WireReader in;
    bool done = false;  // sent its end marker
    bool exited = false;
    bool exhausted = false;      // its end marker says the strategy had no schedule left
    std::uint64_t last = 0;      // last iteration it reported
    std::uint64_t last_run = 0;  // from its end marker: the last schedule it ran, and its decisions
    std::vector<Schedule::Decision> last_decisions;
  };

  // Decisions a worker's shared slot holds: enough for max_steps points and their choices, at
  // most 4 Mi (computed without overflowing for a huge max_steps).
  std::size_t mirror_capacity() const {
    constexpr std::uint64_t kMost = std::uint64_t{1} << 22;
    return static_cast<std::size_t>(
        options_.max_steps >= kMost / 2 ? kMost : std::min(options_.max_steps * 2 + 1024, kMost));
  }

  void run_in_workers(unsigned jobs) {
    const std::size_t capacity = mirror_capacity();
    const std::size_t slot_bytes = sizeof(Slot) + capacity * sizeof(Schedule::Decision);
    detail::SharedMapping shared(slot_bytes * jobs);
    auto slot = [&](unsigned w) {
      return reinterpret_cast<Slot*>(static_cast<char*>(shared.data()) + slot_bytes * w);
    };
    auto decisions = [&](unsigned w) {
      return reinterpret_cast<Schedule::Decision*>(reinterpret_cast<char*>(slot(w)) + sizeof(Slot));
    };

    std::vector<ExploreWorker> workers(jobs);
    std::fflush(nullptr);  // buffered output must not be written twice
    for (unsigned w = 0; w < jobs; ++w) {
      int fds[2];
      if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
      const pid_t pid = ::fork();
      if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
      if (pid == 0) {
        ::close(fds[0]);
        for (unsigned o = 0; o < w; ++o) ::close(workers[o].fd);
        worker_main(w, jobs, fds[1], slot(w), decisions(w), capacity);
      }
      ::close(fds[1]);
      workers[w].pid = pid;
      workers[w].fd = fds[0];
    }

    std::map<std::uint64_t, RunResult> ready;
    std::uint64_t next = 1;
    bool stop = false;
    auto owner = [&](std::uint64_t i) { return static_cast<unsigned>((i - 1) % jobs); };
    while (!stop && next <= options_.iterations) {
      // Absorb whatever is next in order.
      if (auto it = ready.find(next); it != ready.end()) {
        RunResult r = std::move(it->second);
        ready.erase(it);
        const bool crashed = !r.bugs.empty() && r.bugs.back().kind == BugKind::Crash;
        if (crashed) {
          // The worker's decisions up to the crash are its schedule: running it again here
          // would crash this process too.
          stop = !absorb_crash(next, std::move(r));
        } else {
          stop = !absorb(next, std::move(r), /*decisions_at_hand=*/false);
        }
        ++next;
        continue;
      }
      const ExploreWorker& w = workers[owner(next)];
      if (w.exited && w.last < next) {
        // It stopped (time budget, or the strategy had no schedule left): nothing more in order.
        if (w.exhausted) report_.exhausted = true;
        break;
      }
      wait_for_records(workers, ready, slot, decisions);
    }
    for (ExploreWorker& w : workers) {
      if (!w.exited) {
        ::kill(w.pid, SIGKILL);
        detail::wait_child(w.pid, nullptr);
      }
      ::close(w.fd);
    }
    // The last schedule: as its worker ran it, or regenerated here (a schedule of a strategy
    // other than DFS is a function of its number).
    if (report_.iterations > 0 && report_.bugs.empty()) {
      const ExploreWorker& w = workers[owner(report_.iterations)];
      if (w.last_run == report_.iterations) {
        report_.last = Schedule(w.last_decisions);
      } else if (options_.strategy != Strategy::DFS) {
        scheduler_->begin_execution(report_.iterations);
        ex_.set_checkers(nullptr);
        (void)ex_.run(body_, *scheduler_, /*record=*/false);
        report_.last = Schedule(ex_.decisions());
      }
    }
  }

  std::map<std::uint64_t, std::vector<Schedule::Decision>> crash_decisions_;

  bool absorb_crash(std::uint64_t i, RunResult r) {
    report_.iterations = i;
    if (options_.progress) options_.progress(i, report_.bugs.size() + 1);
    PendingBug b = std::move(r.bugs.back());
    if (!seen_.insert(identity(b)).second) return true;
    Schedule schedule(crash_decisions_[i], "found by " + report_.strategy + " (seed " +
                                               std::to_string(options_.seed) + "), schedule " +
                                               std::to_string(i) + ": Crash");
    schedule.set_max_steps(options_.max_steps);
    schedule.set_spurious_wakeups(options_.spurious_wakeups);
    report_.bugs.push_back(crash_bug(b, schedule, i));
    return !options_.stop_on_first_bug;
  }

  template <class SlotOf, class DecisionsOf>
  void wait_for_records(std::vector<ExploreWorker>& workers,
                        std::map<std::uint64_t, RunResult>& ready, SlotOf slot,
                        DecisionsOf decisions) {
    std::vector<pollfd> fds;
    std::vector<unsigned> who;
    for (unsigned w = 0; w < workers.size(); ++w) {
      if (workers[w].exited) continue;
      fds.push_back(pollfd{workers[w].fd, POLLIN, 0});
      who.push_back(w);
    }
    if (fds.empty()) return;
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      ExploreWorker& w = workers[who[k]];
      if (!w.in.fill(w.fd)) {
        // End of its output: it ended, or died.
        int status = 0;
        detail::wait_child(w.pid, &status);
        w.exited = true;
        const Slot* s = slot(who[k]);
        if (!w.done && s->iteration != 0 && s->iteration > w.last) {
          RunResult crash;
          PendingBug b;
          b.kind = BugKind::Crash;
          b.message = "the body crashed in schedule " + std::to_string(s->iteration) + ": " +
                      describe_status(status);
          b.key = "crash";
          // The slot holds the first mirror_capacity() decisions; a longer run's schedule is
          // cut there (its replay then diverges at the cut, reported as Nondeterminism).
          const std::size_t n =
              static_cast<std::size_t>(std::min<std::uint64_t>(s->count, mirror_capacity()));
          if (s->count > n) {
            b.message += " (its schedule holds the first " + std::to_string(n) + " of " +
                         std::to_string(s->count) + " decisions)";
          }
          crash.bugs.push_back(std::move(b));
          crash_decisions_[s->iteration].assign(decisions(who[k]), decisions(who[k]) + n);
          w.last = s->iteration;
          ready.emplace(s->iteration, std::move(crash));
        }
        continue;
      }
      while (std::optional<detail::WireRecord> rec = w.in.next()) {
        if (rec->end) {
          w.done = true;
          w.exhausted = rec->exhausted;
          w.last_run = rec->iteration;
          w.last_decisions = std::move(rec->last);
          continue;
        }
        w.last = rec->iteration;
        ready.emplace(rec->iteration, std::move(rec->result));
      }
    }
  }

  static std::string describe_status(int status) {
    if (WIFSIGNALED(status)) return detail::describe_wait_status(status);
    if (WIFEXITED(status)) {
      return "the process exited with status " + std::to_string(WEXITSTATUS(status)) +
             " in the middle of the schedule";
    }
    return "the process ended abnormally";
  }

  [[noreturn]] void worker_main(unsigned w, unsigned jobs, int fd, Slot* slot,
                                Schedule::Decision* decisions, std::size_t capacity) {
    int code = 0;
    try {
      ex_.set_mirror(decisions, capacity, &slot->count);
      bool exhausted = false;
      std::uint64_t ran = 0;
      for (std::uint64_t i = w + 1; i <= options_.iterations; i += jobs) {
        if (i > w + 1 && out_of_time()) break;
        slot->iteration = i;
        std::optional<RunResult> r = run_one(i);
        if (!r) {
          exhausted = true;
          break;
        }
        ran = i;
        const bool buggy = !r->bugs.empty();
        if (buggy) r->decisions = ex_.decisions();
        detail::write_record(fd, i, *r);
        if (buggy && options_.stop_on_first_bug) break;
      }
      slot->iteration = 0;
      detail::write_end(fd, exhausted, ran,
                        ran != 0 ? ex_.decisions() : std::vector<Schedule::Decision>{});
    } catch (...) {
      code = 3;
    }
    ::close(fd);
    ::_exit(code);
  }

  const std::function<void()>& body_;
  Options options_;
  detail::Fibers fibers_;
  Execution ex_;
  std::unique_ptr<detail::Scheduler> scheduler_;
  Checkers checkers_;
  std::set<std::pair<BugKind, std::string>> seen_;
  Report report_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

Report explore(std::function<void()> body, const Options& options) {
  validate(options);
  if (!body) throw UsageError("weft::explore needs a body to run");
  if (options.jobs == 0) throw UsageError("Options::jobs must be at least 1");
  return Explorer(body, options).run();
}

std::vector<TraceStep> trace_steps(std::function<void()> body, const Schedule& schedule) {
  validate(Options{});
  detail::Fibers fibers(Options{}.stack_size);
  Execution ex(fibers, schedule.max_steps() != 0 ? schedule.max_steps() : schedule.size() + 1,
               schedule.spurious_wakeups());
  auto replayer = detail::make_replay_scheduler(schedule);
  replayer->begin_execution(1);
  (void)ex.run(body, *replayer, /*record=*/true);
  return ex.steps_taken();
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
  // Decisions left over mean the recording went on where this run stopped, also when it
  // stopped at a bug: a schedule is saved up to the step that ended its run, so a faithful
  // replay uses all of it. Only after a divergence (itself a Nondeterminism) is the rest unused
  // by definition.
  const bool diverged = std::any_of(report.bugs.begin(), report.bugs.end(),
                                    [](const Bug& b) { return b.kind == BugKind::Nondeterminism; });
  if (const std::size_t unused = detail::replay_unused(*replayer); unused > 0 && !diverged) {
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
  return report;
}

}  // namespace weft
