// Shrinking after Tinertia (Jalbert and Sen, FSE 2010): a schedule is a sequence of stretches,
// each a run of one thread's decisions; a stretch moved next to the thread's previous stretch
// removes a context switch, a stretch moved past the failure removes steps. Each candidate is
// run with the guided scheduler, which follows the plan where it fits and otherwise lets the
// running thread go on, and is kept when the bug comes back with fewer preemptions, or as many
// and fewer steps. The recorded decisions of that run, not the plan, become the schedule, so it
// replays exactly.
#include "shrink.hpp"

#include <cctype>
#include <memory>
#include <tuple>

#include <weft/detail/checker.hpp>

#include "scheduler.hpp"

namespace weft::detail {
namespace {

using Decisions = std::vector<Schedule::Decision>;

// Bounds on the search, in candidates and in steps run, so that a long schedule costs a
// bounded multiple of itself; counted, not timed, so the result does not depend on the machine.
constexpr std::uint64_t kMaxRuns = 1500;
constexpr std::uint64_t kMaxStepsRun = 4'000'000;

// Digits set aside, except a line number (after ':'), which is part of a site.
std::string without_values(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (std::size_t i = 0; i < message.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(message[i])) != 0;
    if (!digit) {
      out += message[i];
      continue;
    }
    const bool line = i > 0 && message[i - 1] == ':';
    std::size_t end = i;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    out += line ? message.substr(i, end - i) : std::string("#");
    i = end - 1;
  }
  return out;
}

struct Stretch {
  std::size_t begin, end;  // decisions [begin, end)
};

// The stretches of `d`: a new one begins at each pick of a thread other than the last picked.
// Choices belong to the stretch of the thread that made them.
std::vector<Stretch> stretches(const Decisions& d, std::vector<std::uint32_t>& thread_of) {
  std::vector<Stretch> out;
  thread_of.clear();
  for (std::size_t i = 0; i < d.size(); ++i) {
    const bool pick = d[i].bound == 0;
    if (out.empty() || (pick && d[i].value != thread_of.back())) {
      out.push_back(Stretch{i, i + 1});
      thread_of.push_back(pick ? d[i].value : 0);
    } else {
      out.back().end = i + 1;
    }
  }
  return out;
}

Decisions assemble(const Decisions& d, const std::vector<Stretch>& s,
                   const std::vector<std::size_t>& order) {
  Decisions out;
  out.reserve(d.size());
  for (const std::size_t k : order) {
    out.insert(out.end(), d.begin() + static_cast<std::ptrdiff_t>(s[k].begin),
               d.begin() + static_cast<std::ptrdiff_t>(s[k].end));
  }
  return out;
}

bool needs_checkers(BugKind kind) {
  return kind == BugKind::DataRace || kind == BugKind::LostUpdate;
}

class Shrinker {
 public:
  Shrinker(const std::function<void()>& body, Execution& ex, const PendingBug& bug)
      : body_(body), ex_(ex), bug_(bug) {}

  std::optional<Shrunk> run(const Decisions& original) {
    std::optional<Shrunk> best = attempt(original);
    if (!best) return std::nullopt;
    best->steps_before = best->steps_after;
    best->preemptions_before = best->preemptions_after;
    while (improve(*best)) {
    }
    best->runs = runs_;
    return best;
  }

 private:
  // One pass over the candidates, in a fixed order, up to the first that is better.
  bool improve(Shrunk& best) {
    std::vector<std::uint32_t> thread;
    const Decisions d = best.decisions;
    const std::vector<Stretch> s = stretches(d, thread);
    const std::size_t m = s.size();
    std::vector<std::size_t> order;
    // Fewer switches: stretch j next to the same thread's stretch i before it.
    for (std::size_t j = 2; j < m; ++j) {
      std::size_t i = j - 1;
      while (i-- > 0 && thread[i] != thread[j]) {
      }
      if (i >= j - 1 || thread[i] != thread[j]) continue;
      order.clear();
      for (std::size_t k = 0; k <= i; ++k) order.push_back(k);
      order.push_back(j);
      for (std::size_t k = i + 1; k < m; ++k) {
        if (k != j) order.push_back(k);
      }
      if (take(best, assemble(d, s, order))) return true;
      order.clear();
      for (std::size_t k = 0; k < m; ++k) {
        if (k == i) continue;
        if (k == j) order.push_back(i);
        order.push_back(k);
      }
      if (take(best, assemble(d, s, order))) return true;
      if (spent()) return false;
    }
    // Fewer steps: stretch j moved to the end, past the failure.
    for (std::size_t j = 0; j + 1 < m; ++j) {
      order.clear();
      for (std::size_t k = 0; k < m; ++k) {
        if (k != j) order.push_back(k);
      }
      order.push_back(j);
      if (take(best, assemble(d, s, order))) return true;
      if (spent()) return false;
    }
    return false;
  }

  bool take(Shrunk& best, const Decisions& plan) {
    if (spent()) return false;
    std::optional<Shrunk> c = attempt(plan);
    if (!c) return false;
    if (std::tie(c->preemptions_after, c->steps_after) >=
        std::tie(best.preemptions_after, best.steps_after)) {
      return false;
    }
    c->steps_before = best.steps_before;
    c->preemptions_before = best.preemptions_before;
    best = std::move(*c);
    return true;
  }

  bool spent() const { return runs_ >= kMaxRuns || steps_run_ >= kMaxStepsRun; }

  std::optional<Shrunk> attempt(const Decisions& plan) {
    ++runs_;
    const std::unique_ptr<Scheduler> guided = make_guided_scheduler(plan);
    guided->begin_execution(1);
    std::vector<std::unique_ptr<Checker>> checkers;
    if (needs_checkers(bug_.kind)) checkers = make_default_checkers();
    ex_.set_checkers(needs_checkers(bug_.kind) ? &checkers : nullptr);
    const RunResult r = ex_.run(body_, *guided, /*record=*/false);
    ex_.set_checkers(nullptr);
    steps_run_ += r.steps;
    for (const PendingBug& b : r.bugs) {
      if (!same_bug(b, bug_)) continue;
      Shrunk s;
      s.decisions = ex_.decisions();
      s.fingerprint = r.fingerprint;
      s.steps_after = r.steps;
      s.preemptions_after = r.preemptions;
      return s;
    }
    return std::nullopt;
  }

  const std::function<void()>& body_;
  Execution& ex_;
  const PendingBug& bug_;
  std::uint64_t runs_ = 0;
  std::uint64_t steps_run_ = 0;
};

}  // namespace

bool shrinkable(BugKind kind) {
  switch (kind) {
    case BugKind::AssertionFailure:
    case BugKind::Deadlock:
    case BugKind::UncaughtException:
    case BugKind::Misuse:
    case BugKind::DataRace:
    case BugKind::LostUpdate:
      return true;
    default:
      return false;
  }
}

bool same_bug(const PendingBug& b, const PendingBug& target) {
  if (b.kind != target.kind || b.key != target.key) return false;
  // The message too, also for keyed bugs: a lost update that happened in the schedule and one
  // predicted for another have one key, and shrinking must not trade the first for the second.
  return b.message == target.message || without_values(b.message) == without_values(target.message);
}

std::optional<Shrunk> shrink_schedule(const std::function<void()>& body, Execution& ex,
                                      const Decisions& decisions, const PendingBug& bug) {
  if (!shrinkable(bug.kind)) return std::nullopt;
  return Shrinker(body, ex, bug).run(decisions);
}

}  // namespace weft::detail
