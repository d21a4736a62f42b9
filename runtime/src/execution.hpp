// execution.hpp — one run of the body under one schedule: thread table, per-object model state,
// decision recording and (on the re-run of a failing schedule) the trace.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <weft/detail/checker.hpp>
#include <weft/detail/model.hpp>
#include <weft/detail/watchdog.hpp>
#include <weft/explore.hpp>

#include "fiber.hpp"
#include "scheduler.hpp"
#include "trace_format.hpp"
#include "weak_memory.hpp"

namespace weft::detail {

enum class ThreadStatus : std::uint8_t { Runnable, Blocked, Finished };

struct ThreadState {
  ThreadStatus status = ThreadStatus::Runnable;
  ObjectId object = kNoObject;      // the thread as an object: joiners block on it
  ObjectId waiting_on = kNoObject;  // while Blocked
  std::int64_t deadline = -1;       // while Blocked in a timed wait (virtual ns), else -1
  bool timed_out = false;
  OpKind pending_kind = OpKind::Start;
  ObjectId pending_object = kNoObject;
  Location pending_where{};
  std::size_t slot = 0;
  std::size_t last_trace = SIZE_MAX;
  Task fn;
  std::string name;
};

struct ObjectState {
  ObjectKind kind = ObjectKind::Other;
  Location declared{};
  ThreadId owner = kNoThread;
  ThreadId creator = 0;   // the thread that constructed it
  bool internal = false;  // weft's own (see mark_internal)
  bool point = true;      // Shared<T>: its accesses are scheduling points (SharedPoints)
  // Interleaving coverage: the site (hash) and thread of the last operation that changed it.
  std::uint32_t cov_site = 0;
  ThreadId cov_thread = kNoThread;
  std::string name;
};

// What a step did besides the operation of the scheduling point that began it: operations that
// are not points of their own (an unlock, a semaphore release, a Shared<T> access at a site that
// is not a point), happens-before edges and wake-ups. DFS's partial-order reduction must know
// every object a step touched to tell which steps commute; the others never ask, and pay nothing.
struct StepEffect {
  enum class What : std::uint8_t { Op, Acquire, Release, Wake };
  What what;
  OpKind op;  // What::Op: the operation
  ObjectId object;
};

struct PendingBug {
  BugKind kind;
  std::string message;
  std::string details;             // extra lines for the trace (e.g. the wait-for graph)
  std::string key;                 // deduplication key; empty = the message
  std::vector<std::string> locks;  // LockOrderInversion: the locks of the cycle
  std::vector<BugSite> sites;      // Bug::sites
};

struct RunResult {
  // The checkers' findings first (usually the cause), then what ended the run, if anything.
  std::vector<PendingBug> bugs;
  std::uint64_t steps = 0;
  // Switches away from a thread that could have gone on and did not yield (Bug::preemptions).
  std::uint32_t preemptions = 0;
  std::string trace;              // only when recording
  std::vector<TraceStep> rows;    // the trace's operations, structured (only when recording)
  std::uint64_t fingerprint = 0;  // of the run's first operations (Schedule::body)
  std::vector<LockEdge> edges;    // lock-order edges, for the exploration's LockGraph
  // With learning on: the racy sites (Execution::site_of) of the Shared<T> variables that took
  // part in a race, sorted.
  std::vector<std::string> racy;
  bool saw_shared = false;  // a Shared<T> was created
  // With coverage on: the run's interleaving coverage (reads-from pairs of sites, lock and
  // event hand-offs, preemptions at a site), hashed, sorted, without repeats.
  std::vector<std::uint64_t> coverage;
  // Filled by worker processes for a run with bugs: its schedule, which the exploring process
  // could not regenerate for a strategy whose schedules depend on the ones before (DFS).
  std::vector<Schedule::Decision> decisions;
};

class Execution final : public Names {
 public:
  Execution(Fibers& fibers, std::uint64_t max_steps, bool spurious_wakeups = false);
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  RunResult run(const std::function<void()>& body, Scheduler& scheduler, bool record);
  // Collect interleaving coverage (RunResult::coverage) in the following runs: the feedback of
  // Strategy::Fuzz. Off, it costs one test per step.
  void set_coverage(bool on) noexcept { coverage_on_ = on; }
  // Also writes every decision into `buffer` (shared with a parent process), so that the
  // schedule survives a crash of this process. `count` is reset by run().
  void set_mirror(Schedule::Decision* buffer, std::size_t capacity, std::uint64_t* count) {
    mirror_ = buffer;
    mirror_capacity_ = capacity;
    mirror_count_ = count;
  }
  // Observers of the event stream for the following runs (may be null: none).
  void set_checkers(std::vector<std::unique_ptr<Checker>>* checkers) {
    checkers_ = checkers;
    subscribe();
  }

  const std::vector<std::unique_ptr<Checker>>* checkers() const noexcept { return checkers_; }

  // --- Names, for checkers' messages
  std::string thread(ThreadId id) const override { return thread_name(id); }
  std::string object(ObjectId id) const override { return object_name(id); }
  std::string object_identity(ObjectId id) const override;
  std::string site(const Location& where, CallSite pc) const override;

  // --- events to checkers
  void emit(const ModelEvent& e) {
    if (unwinding_) return;
    if (weak_ && (e.kind == ModelEvent::Kind::Spawn || e.kind == ModelEvent::Kind::Sync)) {
      weak_memory_.observe(e);
    }
    for (Checker* c : interested_[static_cast<std::size_t>(e.kind)]) c->on_event(e);
  }
  // An event by the current thread about `object` (lock events, synchronisation).
  void lock_event(ModelEvent::Kind kind, ObjectId object, const Location& where) {
    ModelEvent ev{kind};
    ev.thread = current_;
    ev.object = object;
    ev.where = where;
    emit(ev);
  }
  void sync(ObjectId object, Sync s) {
    note_effect(s == Sync::Acquire ? StepEffect::What::Acquire : StepEffect::What::Release,
                OpKind::Other, object);
    ModelEvent ev{ModelEvent::Kind::Sync};
    ev.sync = s;
    ev.thread = current_;
    ev.object = object;
    emit(ev);
  }
  void shared_access(ObjectId object, bool write, ValueBits v, const Location& where, CallSite pc) {
    ModelEvent ev{write ? ModelEvent::Kind::Write : ModelEvent::Kind::Read};
    ev.thread = current_;
    ev.object = object;
    ev.where = where;
    ev.pc = pc;
    ev.value = v;
    emit(ev);
  }

  // --- used by instrument/ through weft/detail/model.hpp
  ObjectId register_object(ObjectKind kind, const Location& declared);
  void name_object(ObjectId id, std::string_view name) { objects_[id].name = name; }
  void mark_internal(ObjectId id) { objects_[id].internal = true; }
  // The trace row of the spawn just made names the thread by the name it ends up with (a pool
  // worker names itself when it starts).
  void trace_spawned(ThreadId id) {
    const std::size_t i = threads_[current_].last_trace;
    if (recording_ && !unwinding_ && i < trace_.size()) trace_[i].spawned = id;
  }
  // Which Shared<T> accesses are scheduling points in the following runs: all of them, or those
  // of variables declared at one of `racy_sites` (SharedPoints::Racy). `learn`: collect the
  // racy sites each run's checkers saw (RunResult::racy).
  void set_shared_points(bool all, std::vector<std::string> racy_sites, bool learn = false);
  // A Shared<T>'s site: "file.cpp:12", where it was declared (base name: the same everywhere).
  static std::string site_of(const Location& declared);
  bool shared_point_at(ObjectId id) const noexcept { return objects_[id].point; }
  bool all_shared_points() const noexcept { return all_shared_points_; }
  const std::vector<std::string>& racy_sites() const noexcept { return racy_sites_; }
  // The shared points of `schedule` (replaying it makes the same accesses points).
  void set_shared_points_of(const Schedule& schedule) {
    set_shared_points(schedule.all_shared_points(), schedule.racy_sites());
  }
  // A Shared<T> access that is not a scheduling point: counted against max_steps (a spin on
  // it must still end), traced when recording.
  void shared_access_unscheduled(OpKind kind, ObjectId object, const Location& where);
  // Traces show weft's own steps too (Options::internal_steps).
  void set_internal_steps(bool shown) noexcept { internal_steps_ = shown; }
  bool internal_steps() const noexcept { return internal_steps_; }
  std::string object_name(ObjectId id) const;
  void point(OpKind kind, ObjectId object, const Location& where);
  // An operation that is not a scheduling point (releases: unlock), traced all the same.
  void unscheduled(OpKind kind, ObjectId object, const Location& where);
  void block_on(ObjectId object) { block_until(object, -1); }
  bool block_until(ObjectId object, std::int64_t deadline);
  std::int64_t now() const noexcept { return now_; }
  void wake_all(ObjectId object);
  bool wake_one(ObjectId object);
  std::uint32_t choose(std::uint32_t bound);
  ThreadId current_thread() const noexcept { return current_; }
  std::string thread_name(ThreadId id) const;
  void set_thread_name(std::string_view name) { threads_[current_].name = name; }
  ThreadId spawn(Task fn, const Location& where);
  ObjectId thread_object(ThreadId id) const { return threads_[id].object; }
  bool thread_finished(ThreadId id) const { return threads_[id].status == ThreadStatus::Finished; }
  void set_owner(ObjectId id, ThreadId t) { objects_[id].owner = t; }
  ThreadId owner(ObjectId id) const { return objects_[id].owner; }
  void fail(BugKind kind, std::string message, std::string details = {},
            std::vector<BugSite> sites = {});
  void fail_later(BugKind kind, std::string message);
  bool unwinding() const noexcept { return unwinding_; }
  bool recording() const noexcept { return recording_; }
  bool spurious_wakeups() const noexcept { return spurious_wakeups_; }
  void trace_value(std::string value);
  // An operator's return addresses stand for the stack of the operation just traced, so that
  // its row names the call site its checker findings name (also without debug information).
  void trace_call_site(CallSite pc) {
    const std::size_t i = threads_[current_].last_trace;
    if (unwinding_ || i >= trace_.size() || (pc.inner == nullptr && pc.outer == nullptr)) return;
    trace_[i].stack.assign({const_cast<void*>(pc.inner), const_cast<void*>(pc.outer)});
  }

  // --- Atomic<T> (MemoryModel::C11; see weft/detail/model.hpp)
  void set_memory_model(MemoryModel m) {
    weak_ = m == MemoryModel::C11;
    subscribe();
  }
  MemoryModel memory_model() const noexcept { return weak_ ? MemoryModel::C11 : MemoryModel::SC; }
  bool weak_memory() const noexcept { return weak_; }
  const void* atomic_load(ObjectId o, std::memory_order mo, const void* latest, std::size_t size);
  void atomic_store(ObjectId o, std::memory_order mo, const void* value, const void* latest,
                    std::size_t size, const Location& where);
  void atomic_rmw(ObjectId o, std::memory_order mo, bool wrote, const void* value,
                  const void* latest, std::size_t size, const Location& where);
  void atomic_fence(std::memory_order mo, const Location& where);

  // --- used by schedulers
  OpKind pending_kind(ThreadId id) const { return threads_[id].pending_kind; }
  ObjectId pending_object(ThreadId id) const { return threads_[id].pending_object; }
  std::size_t thread_count() const noexcept { return threads_.size(); }
  std::uint64_t steps() const noexcept { return steps_; }
  // The effects of the step that ended at this decision (for a scheduler whose
  // wants_step_effects() is true; empty for the others).
  std::span<const StepEffect> step_effects() const noexcept { return effects_; }
  // Of the last run's first kFingerprintSteps operations: their kinds and source lines
  // (Schedule::body).
  static constexpr std::uint64_t kFingerprintSteps = 64;
  std::uint64_t fingerprint() const noexcept { return fingerprint_; }
  const std::vector<Schedule::Decision>& decisions() const noexcept { return decisions_; }

  // The recorded operations of the last run (record = true), for trace_format.hpp.
  std::span<const TraceEntry> recorded_trace() const noexcept { return trace_; }

  // --- used by checkers (read-only views)
  const std::vector<ThreadState>& threads() const noexcept { return threads_; }
  const std::vector<ObjectState>& objects() const noexcept { return objects_; }

 private:
  static std::size_t thread_entry(void* self, std::size_t slot);
  std::size_t run_thread(ThreadId id);
  // Picks who runs next (recording the decision); diverts to the driver on deadlock.
  ThreadId pick_next(bool yielding);
  void switch_to(ThreadId next);
  [[noreturn]] void abandon();
  void diverged();
  void reset();
  // Every thread is blocked: fails the run with the diagnosed deadlock (deadlock_snapshot.cpp).
  void deadlocked();
  void trace(OpKind kind, ObjectId object, const Location& where, bool blocked);
  void note_effect(StepEffect::What what, OpKind op, ObjectId object) {
    if (track_effects_ && !unwinding_) effects_.push_back(StepEffect{what, op, object});
  }
  void cover(OpKind kind, ObjectId object, const Location& where);
  std::uint32_t site_hash(const Location& where);

  Fibers& fibers_;
  Scheduler* scheduler_ = nullptr;
  std::uint64_t max_steps_;
  bool spurious_wakeups_;
  bool weak_ = true;  // MemoryModel::C11
  WeakMemory weak_memory_;
  // What a C11 load read, for the trace: appended to the value the operation traces next.
  std::string read_note_;
  void atomic_event(ObjectId o, Sync s, std::uint32_t slot, std::uint32_t from);
  void note_read(const WeakMemory::Read& r);
  std::vector<ThreadState> threads_;
  std::vector<ObjectState> objects_;
  std::vector<ThreadId> runnable_;
  std::vector<ThreadId> waiters_;
  std::vector<Schedule::Decision> decisions_;
  std::vector<TraceEntry> trace_;
  std::optional<PendingBug> bug_;
  ThreadId current_ = 0;
  std::uint64_t steps_ = 0;
  std::uint32_t preemptions_ = 0;
  std::uint64_t fingerprint_ = 0;
  const char* fingerprint_file_ = nullptr;  // a cache: the last file hashed, and its hash
  std::uint64_t fingerprint_file_hash_ = 0;
  std::int64_t now_ = 0;
  bool recording_ = false;
  bool track_effects_ = false;  // the scheduler wants step_effects()
  std::vector<StepEffect> effects_;
  bool internal_steps_ = false;
  bool all_shared_points_ = true;
  bool learn_racy_ = false;
  bool coverage_on_ = false;
  std::vector<std::uint64_t> coverage_;
  std::vector<std::string> racy_sites_;  // sorted
  struct SiteAnswer {
    const char* file;
    unsigned line;
    bool racy;
  };
  std::vector<SiteAnswer> site_answers_;  // racy_site's answers so far, for racy_sites_
  bool racy_site(const Location& declared);
  std::uint64_t accesses_ = 0;  // unscheduled Shared<T> accesses of this run
  bool saw_shared_ = false;
  bool unwinding_ = false;
  bool abandon_pending_ = false;
  const std::function<void()>* body_ = nullptr;
  std::vector<std::unique_ptr<Checker>>* checkers_ = nullptr;
  static constexpr std::size_t kEventKinds = 7;
  std::vector<Checker*> interested_[kEventKinds];
  // Hands the checkers the clocks of this memory model and asks each which events it wants.
  void subscribe() {
    for (auto& list : interested_) list.clear();
    if (checkers_ == nullptr) return;
    for (auto& c : *checkers_) {
      c->use_clocks(weak_ ? &weak_memory_ : nullptr);
      for (std::size_t k = 0; k < kEventKinds; ++k) {
        if (c->wants(static_cast<ModelEvent::Kind>(k))) interested_[k].push_back(c.get());
      }
    }
  }
  Schedule::Decision* mirror_ = nullptr;
  std::size_t mirror_capacity_ = 0;
  std::uint64_t* mirror_count_ = nullptr;
  void record(Schedule::Decision d) {
    decisions_.push_back(d);
    progress_tick();
    if (mirror_ != nullptr) {
      if (*mirror_count_ < mirror_capacity_) mirror_[*mirror_count_] = d;
      ++*mirror_count_;
    }
  }
};

}  // namespace weft::detail
