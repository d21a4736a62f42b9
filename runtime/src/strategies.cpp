// The exploration strategies. Each makes its decisions from its own seeded Rng (or, for DFS and
// replay, from its recorded path) and nothing else, so that runs are reproducible.
#include <algorithm>
#include <vector>

#include "execution.hpp"
#include "rng.hpp"
#include "scheduler.hpp"

namespace weft::detail {
namespace {

// Uniformly random among the runnable threads. A yielding thread steps aside when another
// thread can run, so spin loops with yield() always make progress.
class RandomScheduler final : public Scheduler {
 public:
  explicit RandomScheduler(std::uint64_t seed) : seed_(seed) {}
  bool begin_execution(std::uint64_t iteration) override {
    rng_.seed(seed_, iteration);
    return true;
  }
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    if (runnable.size() == 1) return runnable[0];
    if (yielding) {
      std::uint32_t r = rng_.below(static_cast<std::uint32_t>(runnable.size()) - 1);
      for (ThreadId t : runnable) {
        if (t != current && r-- == 0) return t;
      }
    }
    return runnable[rng_.below(static_cast<std::uint32_t>(runnable.size()))];
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    return rng_.below(bound);
  }
  std::string name() const override { return "random"; }

 private:
  std::uint64_t seed_;
  Rng rng_;
};

// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): threads get random distinct
// priorities; the highest-priority runnable thread runs; at d-1 random steps in [1, k] the
// running thread drops below every initial priority. k, the expected number of steps, is
// estimated before exploring from a few random probe runs of the body, so that every schedule
// is a function of (seed, iteration) alone — whichever process runs it.
class PctScheduler final : public Scheduler {
 public:
  PctScheduler(std::uint64_t seed, int depth) : seed_(seed), depth_(std::max(depth, 1)) {}
  bool begin_execution(std::uint64_t iteration) override {
    rng_.seed(seed_, iteration);
    priority_.clear();
    change_points_.clear();
    step_ = 0;
    lowest_ = 0;
    const std::uint64_t k = std::max<std::uint64_t>(k_estimate_, 1);
    for (int i = 1; i < depth_; ++i) {
      change_points_.push_back(1 + (rng_.next() % k));
    }
    return true;
  }
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    ++step_;
    ensure(runnable.back());
    for (std::size_t i = 0; i < change_points_.size(); ++i) {
      // Change point i lowers the running thread to priority i+1: below all initial ones.
      if (change_points_[i] == step_ && current < priority_.size()) {
        priority_[current] = static_cast<std::int64_t>(i) + 1;
      }
    }
    if (yielding && current < priority_.size()) priority_[current] = --lowest_;
    ThreadId best = runnable[0];
    for (ThreadId t : runnable) {
      if (priority_[t] > priority_[best]) best = t;
    }
    return best;
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    return rng_.below(bound);
  }
  void set_step_estimate(std::uint64_t steps) override { k_estimate_ = steps; }
  std::string name() const override { return "pct"; }

 private:
  void ensure(ThreadId max_id) {
    while (priority_.size() <= max_id) {
      // Random initial priorities far above the change-point band; distinct with
      // overwhelming probability, ties broken by id.
      priority_.push_back(static_cast<std::int64_t>((rng_.next() >> 2) | (1ull << 61)));
    }
  }
  std::uint64_t seed_;
  int depth_;
  Rng rng_;
  std::vector<std::int64_t> priority_;
  std::vector<std::uint64_t> change_points_;
  std::uint64_t step_ = 0;
  std::uint64_t k_estimate_ = 0;
  std::int64_t lowest_ = 0;
};

// The operations POS lets commute on one object: those that only look at it. A Queue get takes
// an item, so two gets (two consumers racing for one item) conflict like two stores.
bool is_read(OpKind k) { return k == OpKind::Load || k == OpKind::IsSet || k == OpKind::Size; }

// POS (Yuan, Yang, Gu, CAV 2018, partial order sampling): every pending operation gets a random
// priority; the highest runs; after it runs, the pending operations that race with it (same
// object, not both reads) get fresh priorities.
class PosScheduler final : public Scheduler {
 public:
  explicit PosScheduler(std::uint64_t seed) : seed_(seed) {}
  bool begin_execution(std::uint64_t iteration) override {
    rng_.seed(seed_, iteration);
    priority_.clear();
    return true;
  }
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    if (priority_.size() < ex.thread_count()) priority_.resize(ex.thread_count(), kUnset);
    for (ThreadId t : runnable) {
      if (priority_[t] == kUnset) priority_[t] = rng_.next() >> 1;
    }
    if (yielding && current < priority_.size()) priority_[current] = 0;
    ThreadId best = runnable[0];
    for (ThreadId t : runnable) {
      if (priority_[t] > priority_[best]) best = t;
    }
    const ObjectId object = ex.pending_object(best);
    const bool read = is_read(ex.pending_kind(best));
    priority_[best] = kUnset;
    if (object != kNoObject) {
      for (ThreadId t : runnable) {
        if (t == best || ex.pending_object(t) != object) continue;
        if (read && is_read(ex.pending_kind(t))) continue;
        priority_[t] = kUnset;
      }
    }
    return best;
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    return rng_.below(bound);
  }
  std::string name() const override { return "pos"; }

 private:
  static constexpr std::uint64_t kUnset = ~0ull;
  std::uint64_t seed_;
  Rng rng_;
  std::vector<std::uint64_t> priority_;
};

// Exhaustive depth-first search by re-execution: the path of (choice, options) pairs of the last
// run is replayed up to its deepest unexplored branch, which is then advanced. With a
// preemption bound, switching away from a runnable thread that did not yield counts against it.
class DfsScheduler final : public Scheduler {
 public:
  explicit DfsScheduler(int preemption_bound) : bound_(preemption_bound) {}
  bool begin_execution(std::uint64_t iteration) override {
    depth_ = 0;
    preemptions_ = 0;
    diverged_.clear();
    if (iteration == 1) {
      path_.clear();
      return true;
    }
    while (!path_.empty() && path_.back().chosen + 1 >= path_.back().options) path_.pop_back();
    if (path_.empty()) return false;
    ++path_.back().chosen;
    return true;
  }
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    options_.clear();
    const bool current_runnable =
        std::find(runnable.begin(), runnable.end(), current) != runnable.end();
    // The current thread goes first, so the first run is the one without preemptions.
    if (current_runnable && !(yielding && runnable.size() > 1)) options_.push_back(current);
    const bool may_preempt = bound_ < 0 || preemptions_ < bound_ || !current_runnable || yielding;
    if (may_preempt || options_.empty()) {
      for (ThreadId t : runnable) {
        if (t != current) options_.push_back(t);
      }
    }
    const auto n = static_cast<std::uint32_t>(options_.size());
    const std::uint32_t i = take(n);
    if (i == kDiverged) return kNoThread;
    const ThreadId chosen = options_[i];
    if (current_runnable && !yielding && chosen != current) ++preemptions_;
    return chosen;
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    const std::uint32_t i = take(bound);
    if (i == kDiverged) return std::nullopt;
    return i;
  }
  std::string divergence() const override { return diverged_; }
  std::string name() const override { return "dfs"; }

 private:
  static constexpr std::uint32_t kDiverged = ~0u;
  struct Branch {
    std::uint32_t chosen;
    std::uint32_t options;
  };
  std::uint32_t take(std::uint32_t n) {
    if (depth_ < path_.size()) {
      Branch& b = path_[depth_++];
      if (b.options != n) {
        diverged_ = "DFS re-execution saw " + std::to_string(n) + " options at decision " +
                    std::to_string(depth_) + " where the earlier run saw " +
                    std::to_string(b.options);
        return kDiverged;
      }
      return b.chosen;
    }
    path_.push_back(Branch{0, n});
    ++depth_;
    return 0;
  }
  int bound_;
  std::vector<Branch> path_;
  std::vector<ThreadId> options_;
  std::size_t depth_ = 0;
  int preemptions_ = 0;
  std::string diverged_;
};

// Reads a recorded Schedule back; any mismatch is a divergence (Nondeterminism).
class ReplayScheduler final : public Scheduler {
 public:
  explicit ReplayScheduler(const Schedule& s) : decisions_(s.decisions()) {}
  bool begin_execution(std::uint64_t) override {
    next_ = 0;
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
      diverged_ = "decision " + std::to_string(next_) + " of the schedule runs thread t" +
                  std::to_string(d.value) + ", which cannot run here (runnable: " + names + ")";
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

 private:
  bool have(const char* what) {
    if (next_ < decisions_.size()) return true;
    diverged_ = "the run needs " + std::string(what) + " after the last of the schedule's " +
                std::to_string(decisions_.size()) + " decisions";
    return false;
  }
  const std::vector<Schedule::Decision>& decisions_;
  std::size_t next_ = 0;
  std::string diverged_;
};

class WitnessScheduler final : public Scheduler {
 public:
  WitnessScheduler(std::uint64_t seed, std::vector<std::string> locks)
      : seed_(seed), locks_(std::move(locks)) {
    for (std::string& l : locks_) {
      if (const auto hash = l.rfind('#'); hash != std::string::npos) l.resize(hash);
    }
  }
  bool begin_execution(std::uint64_t iteration) override {
    rng_.seed(seed_ ^ 0x5eed5eedull, iteration);
    return true;
  }
  // Three classes, best first: a thread about to take its first lock of the cycle; a thread
  // doing anything else; a thread that holds a lock of the cycle and wants another (it waits,
  // so that the others can take their first locks and the orders cross).
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    for (auto& c : classes_) c.clear();
    for (ThreadId t : runnable) {
      if (yielding && t == current && runnable.size() > 1) continue;
      const ObjectId o = ex.pending_object(t);
      const bool cycle_lock =
          ex.pending_kind(t) == OpKind::Lock && o != kNoObject && in_cycle(ex.object_name(o));
      if (!cycle_lock) {
        classes_[1].push_back(t);
      } else if (holds_cycle_lock(ex, t)) {
        classes_[2].push_back(t);
      } else {
        classes_[ex.owner(o) == kNoThread ? 0 : 1].push_back(t);
      }
    }
    for (const auto& c : classes_) {
      if (!c.empty()) return c[rng_.below(static_cast<std::uint32_t>(c.size()))];
    }
    return runnable[0];
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    return rng_.below(bound);
  }
  std::string name() const override { return "witness"; }

 private:
  bool in_cycle(const std::string& name) const {
    return std::find(locks_.begin(), locks_.end(), name) != locks_.end();
  }
  bool holds_cycle_lock(const Execution& ex, ThreadId t) const {
    const auto& objects = ex.objects();
    for (std::size_t o = 0; o < objects.size(); ++o) {
      if (objects[o].owner == t && objects[o].kind != ObjectKind::Thread &&
          in_cycle(ex.object_name(static_cast<ObjectId>(o)))) {
        return true;
      }
    }
    return false;
  }

  std::uint64_t seed_;
  std::vector<std::string> locks_;
  std::vector<ThreadId> classes_[3];
  Rng rng_;
};

}  // namespace

std::unique_ptr<Scheduler> make_witness_scheduler(std::uint64_t seed,
                                                  std::vector<std::string> locks) {
  return std::make_unique<WitnessScheduler>(seed, std::move(locks));
}

std::unique_ptr<Scheduler> make_scheduler(const Options& o) {
  switch (o.strategy) {
    case Strategy::Random:
      return std::make_unique<RandomScheduler>(o.seed);
    case Strategy::PCT:
      return std::make_unique<PctScheduler>(o.seed, o.pct_depth);
    case Strategy::POS:
      return std::make_unique<PosScheduler>(o.seed);
    case Strategy::DFS:
      return std::make_unique<DfsScheduler>(o.preemption_bound);
  }
  return std::make_unique<RandomScheduler>(o.seed);
}

std::unique_ptr<Scheduler> make_replay_scheduler(const Schedule& s) {
  return std::make_unique<ReplayScheduler>(s);
}

std::size_t replay_unused(const Scheduler& s) {
  return static_cast<const ReplayScheduler&>(s).unused();
}

}  // namespace weft::detail
