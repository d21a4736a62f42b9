// Exhaustive search by re-execution, with dynamic partial-order reduction. DFS is the one
// strategy that can prove a (bounded) body free of schedule-dependent bugs, but running every
// interleaving is hopeless beyond toy sizes: three threads of four independent increments
// already have 34,650 of them, and all are the same execution. Schedules that differ only in the
// order of steps that commute (on different objects, or two loads) reach the same state having
// observed the same values, so DFS runs one schedule per Mazurkiewicz trace instead: source-DPOR
// with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014). Each run records what each step
// touched; where two dependent steps of different threads were ordered by nothing else (a race),
// a thread is tried before the first of them that starts the reversed order (an initial of the
// steps in between that do not depend on it). Sleep sets keep a thread tried at one decision from
// being tried again below its sibling until something it depends on has run. The schedules are
// recorded as before: DPOR only changes which are run, so each replays like any other.
//
// A step is one decision and all the chosen thread does until its next point, so its footprint is
// its point's operation plus what the execution saw it do besides (StepEffect: unlocks, releases,
// wake-ups, Shared<T> accesses that are not points). Choices made through next_choice (timeouts,
// spurious wake-ups, which waiter a notify wakes, the body's own) are not reduced: every value is
// explored. Blocking is where DPOR gets subtle:
//   - a thread that only finds its lock, join, semaphore or queue blocked changes and observes
//     nothing (it tries again from scratch when woken), so that is no event; its operation is
//     still checked for races then, as classic DPOR checks every thread's next operation. An
//     Event's wait is an event: it notes the sets so far when it begins;
//   - a blocking lock cannot run while another thread holds it, so it races with the previous
//     acquisition, whose reversal can run, not with the steps inside that critical section (as
//     classic DPOR's co-enabledness has it); re-entering a recursive mutex is invisible to others;
//   - a timeout fires only when no thread can run: it races with other timeouts only, and what a
//     thread does after one cannot come before it. A join after the thread's end, a wake-up after
//     a wait and a spawn order steps without being races either, since they cannot be reversed;
//   - where no initial of a race can run at its decision (its lock is held, or it yields there),
//     every thread that can is tried there, as classic DPOR (Flanagan, Godefroid 2005) does.
// Plain DFS makes a yielding thread let another go first (so that spin loops end). Which thread
// that is, even one whose step touches nothing, decides what the yielding thread can do next, and
// traces do not capture it: the step that reaches a yield and the yield itself depend on every
// step, and sleep sets prune nothing where a thread yields. Sleeping and jumps of virtual time
// depend on every step too.
//
// With a preemption bound, switching away from a thread that could go on counts against it. The
// bound makes otherwise independent steps dependent: the branch where a race is reversed may lack
// the preemptions the races found in it need. So each race's thread is also tried at the last
// context switch before it (the conservative point of Coons, Musuvathi, McKinley, "Bounded
// partial-order reduction", OOPSLA 2013), where it costs no more than what ran there, and sleep
// sets are off (a sleeping thread's branch may not reach, within the bound, what they would leave
// to it). The search deepens iteratively: every schedule within 0 preemptions, then within 1, and
// so on up to the bound, so that a bug that needs few preemptions is found (and shown) with few.
//
// Each schedule depends on the one before, so DFS schedules are never split among worker
// processes; nothing here depends on addresses.
#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

constexpr std::uint32_t kNone = ~0u;

// How a step touches an object. On a mutex: Acquire (lock, a try_lock that took it), Test (a
// try_lock that did not) and Release; on anything else: Read and Write.
enum class Access : std::uint8_t { Read, Write, Acquire, Test, Release };

struct Touch {
  ObjectId object;
  Access access;
};

// Whether two touches of one object do not commute.
bool conflict(Access a, Access b) {
  const auto mutex = [](Access x) { return x >= Access::Acquire; };
  if (mutex(a) != mutex(b)) return true;
  if (!mutex(a)) return a == Access::Write || b == Access::Write;
  if (a == Access::Acquire || b == Access::Acquire) return true;
  return a != b;  // Test against Release
}

// What a step touched; `global`: it depends on every step (yields, time jumps).
class Footprint {
 public:
  bool global = false;

  std::span<const Touch> touches() const {
    return more_.empty() ? std::span<const Touch>(small_.data(), n_)
                         : std::span<const Touch>(more_);
  }
  void add(ObjectId object, Access access) {
    const bool inline_ = more_.empty();
    Touch* const first = inline_ ? small_.data() : more_.data();
    const std::size_t n = inline_ ? n_ : more_.size();
    for (Touch* t = first; t != first + n; ++t) {
      if (t->object != object) continue;
      if (t->access == access) return;
      if ((t->access == Access::Read && access == Access::Write) ||
          (t->access == Access::Write && access == Access::Read)) {
        t->access = Access::Write;
        return;
      }
    }
    if (inline_ && n_ < small_.size()) {
      small_[n_++] = Touch{object, access};
      return;
    }
    if (inline_) more_.assign(small_.begin(), small_.begin() + n_);
    more_.push_back(Touch{object, access});
  }
  void merge(const Footprint& other) {
    global = global || other.global;
    for (const Touch& t : other.touches()) add(t.object, t.access);
  }
  bool conflicts(const Footprint& other) const {
    if (global || other.global) return true;
    for (const Touch& a : touches()) {
      for (const Touch& b : other.touches()) {
        if (a.object == b.object && conflict(a.access, b.access)) return true;
      }
    }
    return false;
  }

 private:
  // Most steps touch one to three objects: they stay here, and a step allocates nothing.
  std::array<Touch, 3> small_{};
  std::uint8_t n_ = 0;
  std::vector<Touch> more_;
};

bool is_mutex(ObjectKind k) { return k == ObjectKind::Mutex || k == ObjectKind::RecursiveMutex; }

bool reads_only(OpKind k) {
  return k == OpKind::Load || k == OpKind::IsSet || k == OpKind::Size || k == OpKind::Join;
}

// A thread asleep at a decision: it was tried at `node` (its footprint there is `slot` of that
// node's explored steps), and nothing it depends on ran since.
struct Sleeper {
  ThreadId thread;
  std::uint32_t node;
  std::uint32_t slot;
};

// A runnable thread at a decision.
struct Candidate {
  ThreadId thread;
  bool enabled;   // its operation would not block at once (as far as the model can tell)
  bool eligible;  // the yield rule and the preemption bound let it run here
};

struct Node {
  bool choice = false;        // a next_choice decision, else a thread decision
  bool dead = false;          // past the point where a run became redundant: nothing to try
  std::uint32_t options = 0;  // choice: its bound; thread: how many threads could run
  std::uint32_t chosen = 0;   // choice: the value; thread: the thread
  // Thread decisions only.
  std::uint32_t candidates = 0;        // first of its Candidates in DfsScheduler::candidates_
  ThreadId current = kNoThread;        // the thread that ran the step before
  bool yielding = false;               // ... and it yields: another thread goes first
  bool current_enabled = false;        // ... and could go on (switching away is a preemption)
  int preemptions = 0;                 // before this decision
  std::vector<ThreadId> backtrack;     // still to try here
  std::vector<ThreadId> explored;      // tried here before `chosen`: asleep below it
  std::vector<Footprint> explored_fp;  // their steps here
  Footprint fp;                        // the step of `chosen` (over every value of its choices)
  std::vector<Sleeper> sleep;          // asleep when this decision is reached
};

// One step of this run that was an event (it did not just find its operation blocked).
struct Event {
  ThreadId thread;
  std::uint32_t node;   // the decision that chose it
  std::uint32_t index;  // its number among its thread's events, from 1
  std::uint32_t prev;   // its thread's event before it
  std::uint32_t clock_at, clock_n;
  std::uint32_t held_at, held_n;  // the mutexes its thread held when it began
  bool jump;                      // a timeout: virtual time jumped to its thread's deadline
};

// What the analysis knows about a thread during a run.
struct ThreadInfo {
  std::uint32_t last = kNone;    // its last event
  std::uint32_t parent = kNone;  // the event that spawned it
  std::uint32_t waker = kNone;   // the event that woke it from its last wait, until it runs
  std::uint32_t events = 0;
  ThreadStatus status = ThreadStatus::Runnable;  // at the last decision
};

struct HistoryEntry {
  std::uint32_t event;
  Access access;
};

// An earlier event a new step depends on. `order_only`: the dependence can never be reversed
// (a thread's end before its join), so it orders without being a race.
struct Dependence {
  std::uint32_t event;
  bool order_only;
};

class DfsScheduler final : public Scheduler {
 public:
  explicit DfsScheduler(int preemption_bound) : bound_(preemption_bound) {}

  bool wants_step_effects() const override { return true; }

  bool begin_execution(std::uint64_t iteration) override {
    start_run();
    if (iteration == 1) {
      path_.clear();
      candidates_.clear();
      round_ = bound_ >= 0 ? 0 : -1;
      fresh_from_ = 0;
      return true;
    }
    while (!path_.empty()) {
      const std::uint32_t at = static_cast<std::uint32_t>(path_.size() - 1);
      Node& n = path_.back();
      if (!n.dead && advance(n)) {
        fresh_from_ = at;
        return true;
      }
      candidates_.resize(n.choice ? candidates_.size() : n.candidates);
      path_.pop_back();
    }
    // Iterative deepening: the space within this many preemptions is covered; allow one more.
    if (round_ >= 0 && round_ < bound_) {
      ++round_;
      fresh_from_ = 0;
      return true;
    }
    return false;
  }

  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    ex_ = &ex;
    const auto at = static_cast<std::uint32_t>(depth_);
    if (open_) {
      close_step(at);
    } else {
      info_.resize(1);  // main; what it did before its first point precedes every other thread
    }
    note_threads();
    if (broken_) return kNoThread;
    ThreadId chosen;
    if (depth_ < path_.size()) {
      chosen = replay(runnable);
      if (chosen == kNoThread) return kNoThread;
    } else {
      chosen = decide(runnable, current, yielding);
    }
    const Node& n = path_[depth_];
    if (n.current_enabled && chosen != n.current) ++preemptions_;
    ++depth_;
    open(chosen, at, ex.threads()[chosen].status == ThreadStatus::Blocked);
    return chosen;
  }

  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    if (broken_) return std::nullopt;
    if (depth_ < path_.size()) {
      const Node& n = path_[depth_];
      if (!n.choice || n.options != bound) {
        diverge("a choice of " + std::to_string(bound) + " values", n);
        return std::nullopt;
      }
      ++depth_;
      return n.chosen;
    }
    Node& n = path_.emplace_back();
    n.choice = true;
    n.options = bound;
    n.dead = redundant_;
    ++depth_;
    return 0;
  }

  void end_execution(std::uint64_t /*steps*/) override {
    if (open_ && ex_ != nullptr && !broken_) {
      close_step(static_cast<std::uint32_t>(depth_));
      note_threads();
      // A run cut short (a bug, a deadlock) never ran what its threads were about to do: those
      // operations are checked for races as they stand, as classic DPOR checks every thread's
      // next operation.
      if (!redundant_) {
        for (ThreadId t = 0; t < ex_->thread_count(); ++t) {
          if (ex_->threads()[t].status != ThreadStatus::Runnable) continue;
          Footprint fp;
          pending_footprint(t, fp);
          analyse(t, fp, lock_wait(t));
        }
      }
    }
    open_ = false;
    ex_ = nullptr;
  }

  std::string divergence() const override { return diverged_; }
  std::string name() const override { return "dfs"; }

 private:
  // --- the search tree

  // Moves `n` to its next alternative; false when it has none.
  bool advance(Node& n) {
    if (n.choice) {
      if (n.chosen + 1 >= n.options) return false;
      ++n.chosen;
      return true;
    }
    while (!n.backtrack.empty()) {
      const ThreadId t = n.backtrack.front();
      n.backtrack.erase(n.backtrack.begin());
      if (t == n.chosen || contains(n.explored, t) || asleep_here(n, t)) continue;
      n.explored.push_back(n.chosen);
      n.explored_fp.push_back(std::move(n.fp));
      n.fp = Footprint{};
      n.chosen = t;
      return true;
    }
    return false;
  }

  ThreadId replay(std::span<const ThreadId> runnable) {
    const Node& n = path_[depth_];
    bool same = !n.choice && n.options == runnable.size();
    for (std::size_t i = 0; same && i < runnable.size(); ++i) {
      same = candidates_[n.candidates + i].thread == runnable[i];
    }
    if (!same) {
      diverge(std::to_string(runnable.size()) + " threads that could run", n);
      return kNoThread;
    }
    preemptions_ = n.preemptions;
    return n.chosen;
  }

  void diverge(const std::string& saw, const Node& n) {
    diverged_ = "DFS re-execution saw " + saw + " at decision " + std::to_string(depth_ + 1) +
                " where the earlier run saw " +
                (n.choice ? "a choice of " + std::to_string(n.options) + " values"
                          : std::to_string(n.options) + " threads that could run");
    broken_ = true;
  }

  // A new decision: the thread the search tries first here.
  ThreadId decide(std::span<const ThreadId> runnable, ThreadId current, bool yielding) {
    Node& n = path_.emplace_back();
    n.options = static_cast<std::uint32_t>(runnable.size());
    n.candidates = static_cast<std::uint32_t>(candidates_.size());
    n.current = current;
    n.preemptions = preemptions_;
    n.dead = redundant_;
    n.sleep = std::move(next_sleep_);
    next_sleep_.clear();
    const std::vector<ThreadState>& threads = ex_->threads();
    // Virtual time jumps when no thread can run: the candidates are then threads blocked until
    // the earliest deadline, and none of them preempts anybody.
    const bool jump = threads[runnable[0]].status == ThreadStatus::Blocked;
    for (ThreadId t : runnable) {
      const bool enabled = jump || can_proceed(t);
      candidates_.push_back(Candidate{t, enabled, true});
      if (t == current) n.current_enabled = enabled && !jump && !yielding;
    }
    const bool bounded = round_ >= 0 && preemptions_ >= round_ && n.current_enabled;
    for (std::uint32_t i = 0; i < n.options; ++i) {
      Candidate& c = candidates_[n.candidates + i];
      // A yielding thread lets another go first, as in plain DFS: even one that only finds
      // itself blocked, after which the yielding thread may go on.
      if (yielding && c.thread == current && n.options > 1) c.eligible = false;
      if (bounded && c.thread != current) c.eligible = false;
    }
    n.yielding = yielding;
    n.chosen = first_choice(n);
    return n.chosen;
  }

  // The current thread if it may go on (no preemption), else the lowest that can run; none
  // awake: every continuation from here is one that a sleeping thread's branch already covers,
  // so the rest of this run is redundant.
  ThreadId first_choice(Node& n) {
    const Candidate* cs = &candidates_[n.candidates];
    auto pick = [&](auto&& ok) -> ThreadId {
      for (std::uint32_t i = 0; i < n.options; ++i) {
        if (cs[i].thread == n.current && ok(cs[i])) return cs[i].thread;
      }
      for (std::uint32_t i = 0; i < n.options; ++i) {
        if (ok(cs[i])) return cs[i].thread;
      }
      return kNoThread;
    };
    if (!n.dead) {
      const ThreadId awake = pick(
          [&](const Candidate& c) { return c.eligible && c.enabled && !asleep_here(n, c.thread); });
      if (awake != kNoThread) return awake;
      const bool any_enabled =
          pick([](const Candidate& c) { return c.eligible && c.enabled; }) != kNoThread;
      // Nothing can proceed: what runs finds itself blocked (a deadlock, reported as such).
      if (!any_enabled) {
        const ThreadId t =
            pick([&](const Candidate& c) { return c.eligible && !asleep_here(n, c.thread); });
        if (t != kNoThread) return t;
      }
      redundant_ = true;
      n.dead = true;
    }
    ThreadId t = pick([](const Candidate& c) { return c.eligible && c.enabled; });
    if (t == kNoThread) t = pick([](const Candidate& c) { return c.eligible; });
    return t;
  }

  static bool contains(const std::vector<ThreadId>& v, ThreadId t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  }
  static bool asleep(const Node& n, ThreadId t) {
    for (const Sleeper& s : n.sleep) {
      if (s.thread == t) return true;
    }
    return false;
  }
  // Where a thread yields, another must go first, and which one (even one that only finds
  // itself blocked, or one whose step touches nothing) decides what the yielding thread can do
  // next: traces do not capture that, so sleep sets prune nothing there.
  static bool yield_rule(const Node& n) { return n.yielding && n.options > 1; }
  bool asleep_here(const Node& n, ThreadId t) const { return !yield_rule(n) && asleep(n, t); }
  const Candidate* candidate(const Node& n, ThreadId t) const {
    for (std::uint32_t i = 0; i < n.options; ++i) {
      if (candidates_[n.candidates + i].thread == t) return &candidates_[n.candidates + i];
    }
    return nullptr;
  }

  // Whether a runnable thread's operation would go ahead rather than block at once, where the
  // model can tell: a lock another thread holds, a join of a thread that has not finished.
  bool can_proceed(ThreadId t) const {
    const ThreadState& s = ex_->threads()[t];
    const ObjectId o = s.pending_object;
    if (o == kNoObject || o >= ex_->objects().size()) return true;
    const ObjectState& obj = ex_->objects()[o];
    if (s.pending_kind == OpKind::Lock && is_mutex(obj.kind)) {
      return obj.owner == kNoThread || obj.owner == t;
    }
    if (s.pending_kind == OpKind::Join && obj.kind == ObjectKind::Thread) {
      return obj.owner < ex_->thread_count() && ex_->thread_finished(obj.owner);
    }
    return true;
  }

  // Whether an operation that finds itself blocked tries again from scratch once woken, so
  // that finding itself blocked changed and observed nothing. Not so for an Event's wait, say,
  // which notes the sets so far when it begins.
  bool retried(OpKind kind, ObjectId o) const {
    if (o == kNoObject || o >= ex_->objects().size()) return false;
    switch (ex_->objects()[o].kind) {
      case ObjectKind::Mutex:
      case ObjectKind::RecursiveMutex:
        return kind == OpKind::Lock || kind == OpKind::TryLock;
      case ObjectKind::Thread:
        return kind == OpKind::Join;
      case ObjectKind::Semaphore:
      case ObjectKind::BoundedSemaphore:
        return kind == OpKind::Acquire;
      case ObjectKind::Queue:
        return kind == OpKind::Put || kind == OpKind::Get || kind == OpKind::Join;
      default:
        return false;
    }
  }

  // The mutex thread `t` is about to lock (blocking), else kNoObject.
  ObjectId lock_wait(ThreadId t) const {
    const ThreadState& s = ex_->threads()[t];
    const ObjectId o = s.pending_object;
    if (s.pending_kind != OpKind::Lock || o == kNoObject || o >= ex_->objects().size()) {
      return kNoObject;
    }
    return is_mutex(ex_->objects()[o].kind) ? o : kNoObject;
  }

  // --- one run

  void start_run() {
    depth_ = 0;
    preemptions_ = 0;
    diverged_.clear();
    broken_ = false;
    redundant_ = false;
    open_ = false;
    ex_ = nullptr;
    events_.clear();
    clocks_.clear();
    held_.clear();
    info_.clear();
    for (std::vector<ObjectId>& h : held_by_) h.clear();
    for (std::vector<HistoryEntry>& h : history_) h.clear();
    last_global_ = kNone;
    last_event_ = kNone;
    step_thread_ = kNoThread;
    next_sleep_.clear();
  }

  // The chosen thread's step begins.
  void open(ThreadId t, std::uint32_t node, bool jump) {
    open_ = true;
    step_thread_ = t;
    step_node_ = node;
    step_kind_ = ex_->threads()[t].pending_kind;
    step_object_ = ex_->threads()[t].pending_object;
    step_jump_ = jump;
    step_lock_wait_ = jump ? kNoObject : lock_wait(t);
  }

  // What thread `t`'s pending operation touches, by its kind alone.
  void pending_footprint(ThreadId t, Footprint& fp) const {
    const ThreadState& s = ex_->threads()[t];
    operation_footprint(t, s.pending_kind, s.pending_object, false, fp);
  }

  void operation_footprint(ThreadId t, OpKind kind, ObjectId o, bool done, Footprint& fp) const {
    switch (kind) {
      case OpKind::Start:
      case OpKind::Spawn:
        return;
      case OpKind::Sleep:
        // It only blocks its thread until now + d, and `now` moves only when no thread can run:
        // the timeout that ends it is the step that matters (it depends on every step).
        return;
      case OpKind::Yield:  // see the top of this file
        fp.global = true;
        return;
      default:
        break;
    }
    if (o == kNoObject || o >= ex_->objects().size()) {
      // A fence touches no object, yet it orders the atomics around it (and seq_cst fences
      // are totally ordered among themselves): it depends on everything.
      fp.global = fp.global || kind == OpKind::Other || kind == OpKind::Fence;
      return;
    }
    if (is_mutex(ex_->objects()[o].kind)) {
      if (kind == OpKind::Lock) {
        fp.add(o, Access::Acquire);
      } else if (kind == OpKind::TryLock) {
        // Done: whether it took the lock (it holds it now, or it released it within the step).
        bool took = !done || ex_->objects()[o].owner == t;
        for (const StepEffect& e : ex_->step_effects()) {
          took =
              took || (e.what == StepEffect::What::Op && e.op == OpKind::Unlock && e.object == o);
        }
        fp.add(o, took ? Access::Acquire : Access::Test);
      } else if (kind == OpKind::Unlock) {
        fp.add(o, Access::Release);
      }
      return;
    }
    // An Event's wait only looks at it.
    const bool read =
        reads_only(kind) || (kind == OpKind::Wait && ex_->objects()[o].kind == ObjectKind::Event);
    fp.add(o, read ? Access::Read : Access::Write);
  }

  void effects_footprint(Footprint& fp) const {
    const std::vector<ObjectState>& objects = ex_->objects();
    for (const StepEffect& e : ex_->step_effects()) {
      if (e.object == kNoObject || e.object >= objects.size()) continue;
      if (is_mutex(objects[e.object].kind)) {
        // Its acquisitions are points of their own; the wake-ups and edges of an unlock are
        // the unlock's.
        if (e.what == StepEffect::What::Op && e.op == OpKind::Unlock) {
          fp.add(e.object, Access::Release);
        }
        continue;
      }
      switch (e.what) {
        case StepEffect::What::Op:
          fp.add(e.object, reads_only(e.op) ? Access::Read : Access::Write);
          break;
        case StepEffect::What::Acquire:
          fp.add(e.object, Access::Read);
          break;
        case StepEffect::What::Release:
        case StepEffect::What::Wake:
          fp.add(e.object, Access::Write);
          break;
      }
    }
  }

  // The step of the thread chosen at node `step_node_` ended at decision `at` (or the run ended).
  void close_step(std::uint32_t at) {
    open_ = false;
    const ThreadId t = step_thread_;
    const ThreadState& s = ex_->threads()[t];
    const bool fresh = at > fresh_from_ && !path_[step_node_].dead;
    const bool blocked = s.status == ThreadStatus::Blocked;
    // It found its operation blocked and did nothing else: no event. Its operation still races
    // with what made it block.
    const bool no_event =
        blocked && ex_->step_effects().empty() && !step_jump_ && retried(step_kind_, step_object_);
    Footprint fp;
    fp.global = step_jump_;
    operation_footprint(t, step_kind_, step_object_, !no_event, fp);
    if (no_event) {
      if (fresh && !redundant_) {
        analyse(t, fp, step_lock_wait_);
        path_[step_node_].fp.merge(fp);
      }
      info_[t].waker = kNone;
      // Nothing changed: whoever slept still sleeps.
      if (at >= path_.size()) carry_sleep(Footprint{});
      return;
    }
    effects_footprint(fp);
    // A step that ends where its thread yields decides, with the yield itself, which steps of
    // other threads can come between them (see the top of this file).
    if (s.pending_kind == OpKind::Yield) fp.global = true;
    Event e{};
    e.thread = t;
    e.node = step_node_;
    e.index = info_[t].events + 1;
    e.prev = info_[t].last;
    e.jump = step_jump_;
    analyse(t, fp, fresh ? step_lock_wait_ : kNoObject, fresh, step_jump_);
    e.clock_at = static_cast<std::uint32_t>(clocks_.size());
    e.clock_n = static_cast<std::uint32_t>(base_.size());
    clocks_.insert(clocks_.end(), base_.begin(), base_.end());
    ThreadInfo& ti = info_[t];
    std::vector<ObjectId>& held = held_by_[t];
    e.held_at = static_cast<std::uint32_t>(held_.size());
    e.held_n = static_cast<std::uint32_t>(held.size());
    held_.insert(held_.end(), held.begin(), held.end());
    const auto id = static_cast<std::uint32_t>(events_.size());
    events_.push_back(e);
    ti.last = id;
    ti.events = e.index;
    ti.waker = kNone;
    for (const Touch& touch : fp.touches()) {
      // Re-entering a recursive mutex, or leaving it but once, changes nothing another thread
      // can see: only the outermost acquisition and release are in its history.
      const auto depth = std::count(held.begin(), held.end(), touch.object);
      const bool nested = (touch.access == Access::Acquire && depth > 0) ||
                          (touch.access == Access::Release && depth > 1);
      if (!nested) {
        if (history_.size() <= touch.object) history_.resize(touch.object + 1);
        history_[touch.object].push_back(HistoryEntry{id, touch.access});
      }
      if (touch.access == Access::Acquire) {
        held.push_back(touch.object);
      } else if (touch.access == Access::Release) {
        const auto it = std::find(held.rbegin(), held.rend(), touch.object);
        if (it != held.rend()) held.erase(std::next(it).base());
      }
    }
    if (fp.global) last_global_ = id;
    last_event_ = id;
    if (fresh) path_[step_node_].fp.merge(fp);
    if (at >= path_.size()) carry_sleep(fp);
  }

  // The sleep set of the decision after a step with footprint `fp`: those asleep at the step's
  // decision, and those tried there before the chosen thread, unless the step depended on them.
  void carry_sleep(const Footprint& fp) {
    next_sleep_.clear();
    const Node& n = path_[step_node_];
    // Under a preemption bound a thread's branch may not reach, within the bound, what a sleep
    // set would leave to it: no sleep sets there.
    if (n.dead || redundant_ || round_ >= 0) return;
    for (const Sleeper& s : n.sleep) {
      // (A sleeping thread runs only where a yield needed it.)
      if (s.thread != step_thread_ && !path_[s.node].explored_fp[s.slot].conflicts(fp)) {
        next_sleep_.push_back(s);
      }
    }
    for (std::uint32_t i = 0; i < n.explored.size(); ++i) {
      if (!n.explored_fp[i].conflicts(fp)) {
        next_sleep_.push_back(Sleeper{n.explored[i], step_node_, i});
      }
    }
  }

  // After a step: threads it spawned follow it; threads it woke from a wait follow it too.
  void note_threads() {
    const std::vector<ThreadState>& threads = ex_->threads();
    const std::size_t before = info_.size();
    if (before < threads.size()) info_.resize(threads.size());
    if (held_by_.size() < threads.size()) held_by_.resize(threads.size());
    for (std::size_t t = 0; t < threads.size(); ++t) {
      ThreadInfo& ti = info_[t];
      const ThreadStatus now = threads[t].status;
      if (t >= before) {
        ti.parent = last_event_;
      } else if (ti.status == ThreadStatus::Blocked && now == ThreadStatus::Runnable &&
                 t != step_thread_) {
        ti.waker = last_event_;
      }
      ti.status = now;
    }
  }

  // --- races

  std::uint32_t clock_of(std::uint32_t event, ThreadId t) const {
    const Event& e = events_[event];
    return t < e.clock_n ? clocks_[e.clock_at + t] : 0;
  }
  void join(std::vector<std::uint32_t>& c, std::uint32_t event) const {
    const Event& e = events_[event];
    if (c.size() < e.clock_n) c.resize(e.clock_n, 0);
    for (std::uint32_t i = 0; i < e.clock_n; ++i) c[i] = std::max(c[i], clocks_[e.clock_at + i]);
  }
  // Whether `event` happens before a step whose clock is `c`.
  bool before(std::uint32_t event, const std::vector<std::uint32_t>& c) const {
    const Event& e = events_[event];
    return e.thread < c.size() && c[e.thread] >= e.index;
  }
  bool holds(std::uint32_t event, ObjectId mutex) const {
    const Event& e = events_[event];
    for (std::uint32_t i = 0; i < e.held_n; ++i) {
      if (held_[e.held_at + i] == mutex) return true;
    }
    return false;
  }

  // Whether a step (see analyse) cannot have run right before event `d`: it waits for a lock
  // that d's thread holds, or it is a timeout and d an ordinary step.
  bool not_coenabled(std::uint32_t d, ObjectId lock, bool jump) const {
    return (jump && !events_[d].jump) || (lock != kNoObject && holds(d, lock));
  }

  // The earlier events a step with footprint `fp` depends on.
  void dependences(const Footprint& fp, ObjectId lock, bool jump,
                   std::vector<Dependence>& out) const {
    out.clear();
    if (fp.global) {
      // Every step: each thread's last stands for those before it, except for the race, which
      // is with the last one the step could have run right before.
      for (const ThreadInfo& ti : info_) {
        for (std::uint32_t d = ti.last; d != kNone; d = events_[d].prev) {
          out.push_back(Dependence{d, false});
          if (!not_coenabled(d, lock, jump)) break;
        }
      }
      std::sort(out.begin(), out.end(),
                [](const Dependence& a, const Dependence& b) { return a.event > b.event; });
      return;
    }
    if (last_global_ != kNone) out.push_back(Dependence{last_global_, false});
    const std::vector<ObjectState>& objects = ex_->objects();
    for (const Touch& touch : fp.touches()) {
      if (touch.object >= history_.size()) continue;
      const bool order_only = objects[touch.object].kind == ObjectKind::Thread;
      const std::vector<HistoryEntry>& h = history_[touch.object];
      // Back to the last touch that every earlier conflicting one is ordered before.
      for (std::size_t i = h.size(); i-- > 0;) {
        const Access a = h[i].access;
        const bool hit =
            conflict(touch.access, a) && !(touch.access == Access::Release && a == Access::Acquire);
        if (hit) out.push_back(Dependence{h[i].event, order_only});
        const bool last = touch.access == Access::Read || touch.access == Access::Write
                              ? a == Access::Write
                              : a == Access::Acquire;
        if (last) break;
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Dependence& a, const Dependence& b) { return a.event > b.event; });
    // One entry per event; an order it cannot be out of wins.
    std::size_t n = 0;
    for (const Dependence& d : out) {
      if (n > 0 && out[n - 1].event == d.event) {
        out[n - 1].order_only = out[n - 1].order_only || d.order_only;
      } else {
        out[n++] = d;
      }
    }
    out.resize(n);
  }

  // Finds the races of thread `t`'s step with footprint `fp` (when `lock` is a mutex, the step
  // begins by waiting for it) and adds their backtrack points; leaves the step's vector clock in
  // base_. `races`: look for races at all (not for steps replayed as they ran before, whose
  // races are known).
  void analyse(ThreadId t, const Footprint& fp, ObjectId lock, bool races = true,
               bool jump = false) {
    const ThreadInfo& ti = info_[t];
    std::vector<std::uint32_t>& c = base_;
    c.assign(info_.size(), 0);
    if (ti.last != kNone) {
      join(c, ti.last);
    } else if (ti.parent != kNone) {
      join(c, ti.parent);
    }
    if (ti.waker != kNone) join(c, ti.waker);
    dependences(fp, lock, jump, deps_);
    races_.clear();
    if (races && !redundant_) {
      std::vector<std::uint32_t>& r = race_clock_;
      r = c;
      for (const Dependence& d : deps_) {
        // A timeout fires only when no thread can run: it is not co-enabled with an ordinary
        // step (another timeout can fire instead), and what a woken thread does after one
        // cannot come before it.
        const bool timeout = events_[d.event].jump;
        if (events_[d.event].thread == t || d.order_only || (!jump && timeout)) {
          join(r, d.event);
          continue;
        }
        // A thread waiting for a lock cannot run while another holds it: no race with that
        // thread's steps inside its critical section (the one with its acquisition is the race).
        if (not_coenabled(d.event, lock, jump)) continue;
        if (before(d.event, r)) continue;
        races_.push_back(d.event);
        join(r, d.event);
      }
    }
    for (const Dependence& d : deps_) join(c, d.event);
    if (c.size() <= t) c.resize(t + 1, 0);
    c[t] = ti.events + 1;
    for (const std::uint32_t d : races_) reverse(d, t, c);
  }

  // The race of event `d` with a later step of thread `t` (clock `c`): somewhere before `d`, a
  // thread must be tried whose first step leads to the reversed order — an initial of the
  // steps after `d` that do not depend on it, followed by the later step (source-DPOR).
  void reverse(std::uint32_t d, ThreadId t, const std::vector<std::uint32_t>& c) {
    const Event& de = events_[d];
    Node& n = path_[de.node];
    if (n.dead) return;
    first_.assign(info_.size(), kNone);
    initials_.clear();
    auto done_here = [&](ThreadId u) {
      return u == n.chosen || contains(n.explored, u) || contains(n.backtrack, u) ||
             asleep_here(n, u);
    };
    auto consider = [&](ThreadId u, auto&& clock_of_step, std::uint32_t index) -> bool {
      if (first_[u] != kNone) return false;
      bool initial = true;
      for (ThreadId w = 0; w < first_.size() && initial; ++w) {
        if (first_[w] != kNone && clock_of_step(w) >= first_[w]) initial = false;
      }
      first_[u] = index;
      if (!initial) return false;
      if (done_here(u)) return true;  // already tried, or covered by a sleeping branch
      initials_.push_back(u);
      return false;
    };
    for (std::uint32_t x = d + 1; x < events_.size(); ++x) {
      const Event& xe = events_[x];
      if (clock_of(x, de.thread) >= de.index) continue;  // it depends on d
      if (consider(
              xe.thread, [&](ThreadId w) { return clock_of(x, w); }, xe.index))
        return;
    }
    if (consider(
            t, [&](ThreadId w) { return w < c.size() ? c[w] : 0u; }, c[t]))
      return;
    add_backtrack(de.node, initials_);
  }

  // Tries one of `initials` at decision `at`, or, where none of them can run there, every
  // thread that can (and, for one the preemption bound keeps out, the conservative point).
  void add_backtrack(std::uint32_t at, const std::vector<ThreadId>& initials) {
    Node& n = path_[at];
    for (const ThreadId u : initials) {
      const Candidate* c = candidate(n, u);
      if (c != nullptr && c->eligible && c->enabled) {
        n.backtrack.push_back(u);
        // Under a bound, the branch from here may lack the preemptions that the races found in
        // it need; from the last context switch before, it has one more to spend.
        if (round_ >= 0) conservative(at, u);
        return;
      }
    }
    bool cut = false;
    bool yielded = false;
    for (const ThreadId u : initials) {
      const Candidate* c = candidate(n, u);
      if (c == nullptr || !c->enabled || c->eligible) continue;
      if (n.yielding && u == n.current) {
        yielded = true;
      } else if (round_ >= 0 && n.current_enabled && u != n.current) {
        cut = true;
        conservative(at, u);
      }
    }
    // For a thread that yields here, a thread that only finds itself blocked is enough to let
    // it go on (and it is all plain DFS needs).
    if (!cut) try_everyone(n, yielded);
  }

  void try_everyone(Node& n, bool also_blocked = false) {
    for (std::uint32_t i = 0; i < n.options; ++i) {
      const Candidate& c = candidates_[n.candidates + i];
      if (!c.eligible || !(c.enabled || also_blocked) || c.thread == n.chosen ||
          contains(n.explored, c.thread) || contains(n.backtrack, c.thread) ||
          asleep_here(n, c.thread)) {
        continue;
      }
      n.backtrack.push_back(c.thread);
    }
  }

  // Bounded POR: thread `u` would need a preemption over the bound at decision `at`; at the
  // last context switch before it, choosing `u` instead costs no more than what ran there.
  void conservative(std::uint32_t at, ThreadId u) {
    for (std::uint32_t j = at; j-- > 0;) {
      Node& n = path_[j];
      if (n.choice || n.dead || n.chosen == n.current) continue;
      const Candidate* c = candidate(n, u);
      if (c == nullptr) return;  // not yet there
      if (n.chosen == u || contains(n.explored, u) || contains(n.backtrack, u) ||
          asleep_here(n, u)) {
        return;
      }
      if (c->eligible && c->enabled) {
        n.backtrack.push_back(u);
      } else {
        try_everyone(n);
      }
      return;
    }
  }

  int bound_;
  int round_ = -1;  // the preemption bound of this round of iterative deepening; -1: none
  std::vector<Node> path_;
  std::vector<Candidate> candidates_;  // the nodes' candidates, in path order
  std::size_t depth_ = 0;
  std::uint32_t fresh_from_ = 0;  // decisions before it replay the run before
  int preemptions_ = 0;
  std::string diverged_;
  bool broken_ = false;     // this run diverged from the recorded path
  bool redundant_ = false;  // this run reached a decision where every thread was asleep
  const Execution* ex_ = nullptr;

  // The step in progress.
  bool open_ = false;
  ThreadId step_thread_ = kNoThread;
  std::uint32_t step_node_ = 0;
  OpKind step_kind_ = OpKind::Start;
  ObjectId step_object_ = kNoObject;
  ObjectId step_lock_wait_ = kNoObject;
  bool step_jump_ = false;

  // This run's events.
  std::vector<Event> events_;
  std::vector<std::uint32_t> clocks_;
  std::vector<ObjectId> held_;
  std::vector<ThreadInfo> info_;
  std::vector<std::vector<ObjectId>> held_by_;  // by thread: the mutexes it holds, per acquisition
  std::vector<std::vector<HistoryEntry>> history_;  // by object
  std::uint32_t last_global_ = kNone;
  std::uint32_t last_event_ = kNone;
  std::vector<Sleeper> next_sleep_;

  // Scratch.
  std::vector<std::uint32_t> base_, race_clock_, first_;
  std::vector<Dependence> deps_;
  std::vector<std::uint32_t> races_;
  std::vector<ThreadId> initials_;
};

}  // namespace

std::unique_ptr<Scheduler> make_dfs_scheduler(int preemption_bound) {
  return std::make_unique<DfsScheduler>(preemption_bound);
}

}  // namespace weft::detail
