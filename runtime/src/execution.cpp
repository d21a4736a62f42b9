#include "execution.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <typeinfo>

#include <weft/detail/platform.hpp>

#include "symbolize.hpp"

namespace weft::detail {

constinit thread_local Execution* tls_execution = nullptr;
// On a cache line of its own: production threads read it on every operation.
alignas(64) std::atomic<std::size_t> model_objects_alive{0};

namespace {

// A schedule's `body` fingerprint covers the first operations of its run: enough to tell one
// body from another, and cheap enough for every run. FNV-1a over each operation's kind, line
// and file base name (never an address: the same in every build of the same source).
constexpr std::uint64_t kFingerprintSeed = 0xcbf29ce484222325ull;

std::uint64_t fingerprint_byte(std::uint64_t h, unsigned char b) {
  return (h ^ b) * 0x100000001b3ull;
}

// The hash of a file's base name: of its text, never its address.
std::uint64_t file_hash(const char* file) {
  std::uint64_t h = kFingerprintSeed;
  for (const char c : base_name(file)) h = fingerprint_byte(h, static_cast<unsigned char>(c));
  return h;
}

}  // namespace

Execution::Execution(Fibers& fibers, std::uint64_t max_steps, bool spurious_wakeups)
    : fibers_(fibers), max_steps_(max_steps), spurious_wakeups_(spurious_wakeups) {}

void Execution::reset() {
  if (mirror_count_ != nullptr) *mirror_count_ = 0;
  threads_.clear();
  objects_.clear();
  decisions_.clear();
  trace_.clear();
  bug_.reset();
  current_ = 0;
  steps_ = 0;
  preemptions_ = 0;
  coverage_.clear();
  accesses_ = 0;
  saw_shared_ = false;
  fingerprint_ = kFingerprintSeed;
  now_ = 0;
  unwinding_ = false;
  abandon_pending_ = false;
  effects_.clear();
  weak_memory_.reset();
  read_note_.clear();
}

RunResult Execution::run(const std::function<void()>& body, Scheduler& scheduler, bool record) {
  reset();
  scheduler_ = &scheduler;
  track_effects_ = scheduler.wants_step_effects();
  recording_ = record;
  body_ = &body;
  struct Installed {
    explicit Installed(Execution* e) : previous(tls_execution) { tls_execution = e; }
    ~Installed() { tls_execution = previous; }
    Execution* previous;
  } installed(this);

  if (checkers_ != nullptr) {
    for (auto& c : *checkers_) c->on_execution_begin();
  }
  ThreadState& main = threads_.emplace_back();
  main.name = "main";
  main.fn = Task([this] { (*body_)(); });
  main.object = register_object(ObjectKind::Thread, Location{});
  objects_[main.object].owner = 0;
  main.slot = fibers_.spawn(&Execution::thread_entry, this);
  current_ = 0;
  fibers_.switch_to(main.slot);

  // Back on the driver: every thread finished, or the schedule was abandoned. Unwind the rest
  // newest first, since younger threads tend to use objects owned by older ones.
  unwinding_ = true;
  for (std::size_t i = threads_.size(); i-- > 0;) {
    if (fibers_.suspended(threads_[i].slot)) {
      current_ = static_cast<ThreadId>(i);
      fibers_.unwind(threads_[i].slot);
    }
  }
  for (std::size_t i = threads_.size(); i-- > 0;) {
    current_ = static_cast<ThreadId>(i);
    threads_[i].fn = Task();  // closures of threads that never started
  }
  fibers_.clear();
  unwinding_ = false;

  RunResult result;
  if (checkers_ != nullptr) {
    for (auto& c : *checkers_) {
      for (Finding& f : c->on_execution_end(*this)) {
        result.bugs.push_back(PendingBug{f.kind,
                                         std::move(f.message),
                                         {},
                                         std::move(f.key),
                                         std::move(f.locks),
                                         std::move(f.sites)});
      }
      for (LockEdge& e : c->lock_edges()) result.edges.push_back(std::move(e));
      if (learn_racy_) {
        std::vector<ObjectId> racy;
        c->racy_objects(racy);
        for (const ObjectId o : racy) {
          if (o < objects_.size() && objects_[o].kind == ObjectKind::Shared) {
            result.racy.push_back(site_of(objects_[o].declared));
          }
        }
      }
    }
    std::sort(result.racy.begin(), result.racy.end());
    result.racy.erase(std::unique(result.racy.begin(), result.racy.end()), result.racy.end());
  }
  if (bug_) result.bugs.push_back(std::move(*bug_));
  bug_.reset();
  result.steps = steps_;
  result.preemptions = preemptions_;
  if (coverage_on_) {
    std::sort(coverage_.begin(), coverage_.end());
    coverage_.erase(std::unique(coverage_.begin(), coverage_.end()), coverage_.end());
    result.coverage = std::move(coverage_);
    coverage_.clear();
  }
  result.fingerprint = fingerprint_;
  result.saw_shared = saw_shared_;
  if (record) {
    result.trace = format_trace(trace_, *this, internal_steps_);
    result.rows = format_steps(trace_, *this, internal_steps_);
  }
  return result;
}

std::size_t Execution::thread_entry(void* self, std::size_t slot) {
  return static_cast<Execution*>(self)->run_thread(static_cast<ThreadId>(slot - 1));
}

std::size_t Execution::run_thread(ThreadId id) {
  std::string escaped;
  {
    // The closure lives on this thread's own stack: threads_ may grow while it runs.
    Task fn = std::move(threads_[id].fn);
    try {
      fn();
    } catch (...) {
      rethrow_if_forced_unwind();
      escaped = describe_current_exception();
    }
  }
  // Reported outside the handler: switching fibers inside a catch block would interleave the
  // per-OS-thread exception bookkeeping of several fibers.
  if (!escaped.empty()) {
    fail(BugKind::UncaughtException,
         "uncaught exception in thread " + thread_name(id) + ": " + escaped);
  }
  ModelEvent done{ModelEvent::Kind::Sync};  // everything the thread did happens before its join
  done.sync = Sync::Release;
  done.thread = id;
  done.object = threads_[id].object;
  emit(done);
  threads_[id].status = ThreadStatus::Finished;
  wake_all(threads_[id].object);
  if (abandon_pending_) return 0;
  const ThreadId next = pick_next(false);
  if (next == kNoThread) return 0;
  current_ = next;
  return threads_[next].slot;
}

ThreadId Execution::pick_next(bool yielding) {
  // Written by index into a vector sized for every thread: this runs at every scheduling
  // point, and push_back's capacity checks were a large part of it.
  const std::size_t n = threads_.size();
  if (runnable_.size() < n) runnable_.resize(n);
  ThreadId* out = runnable_.data();
  std::size_t count = 0;
  bool blocked = false;
  std::int64_t earliest = INT64_MAX;
  for (std::size_t i = 0; i < n; ++i) {
    const ThreadState& t = threads_[i];
    if (t.status == ThreadStatus::Runnable) {
      out[count++] = static_cast<ThreadId>(i);
    } else if (t.status == ThreadStatus::Blocked) {
      blocked = true;
      if (t.deadline >= 0) earliest = std::min(earliest, t.deadline);
    }
  }
  // Discrete-event time: only when no thread can run does virtual time jump to the earliest
  // deadline. Every thread whose deadline falls on that instant is a candidate, so whether a
  // timeout beats a wake-up from another thread waking at the same instant is the strategy's
  // choice.
  const bool jumping = count == 0 && earliest != INT64_MAX;
  if (jumping) {
    for (std::size_t i = 0; i < n; ++i) {
      const ThreadState& t = threads_[i];
      if (t.status == ThreadStatus::Blocked && t.deadline == earliest) {
        out[count++] = static_cast<ThreadId>(i);
      }
    }
  }
  if (count == 0) {
    if (!blocked) return kNoThread;
    deadlocked();
    return kNoThread;  // only while unwinding
  }
  const ThreadId next =
      scheduler_->next_thread(*this, std::span<const ThreadId>(out, count), current_, yielding);
  effects_.clear();  // they were the step's that just ended
  // `next` must be one of the candidates (without searching it): a runnable thread or, when time
  // jumps, one blocked until the earliest deadline.
  const bool valid =
      next < threads_.size() && (jumping ? threads_[next].status == ThreadStatus::Blocked &&
                                               threads_[next].deadline == earliest
                                         : threads_[next].status == ThreadStatus::Runnable);
  if (!valid) {
    diverged();
  }
  if (next != current_ && !yielding && !jumping && current_ < n &&
      threads_[current_].status == ThreadStatus::Runnable) {
    ++preemptions_;
    if (coverage_on_) {
      // Where a thread was stopped: a preemption at a new place is a new interleaving. (Not
      // which thread: a hundred threads running one function are one place, and counting each
      // would fill the fuzzer's corpus with copies.)
      const std::uint64_t h =
          (std::uint64_t{3} << 62) | site_hash(threads_[current_].pending_where);
      coverage_.push_back(h);
    }
  }
  record(Schedule::Decision{next, 0});
  ThreadState& t = threads_[next];
  if (t.status == ThreadStatus::Blocked) {  // its deadline passed: time moves on to it
    now_ = t.deadline;
    t.status = ThreadStatus::Runnable;
    t.waiting_on = kNoObject;
    t.deadline = -1;
    t.timed_out = true;
  }
  return next;
}

void Execution::switch_to(ThreadId next) {
  current_ = next;
  fibers_.switch_to(threads_[next].slot);
}

void Execution::abandon() {
  fibers_.switch_to(0);
  // The driver never resumes an abandoned thread: it unwinds it from the switch above.
  std::abort();
}

void Execution::diverged() {
  std::string why = scheduler_->divergence();
  if (why.empty()) why = "the scheduler chose a thread that cannot run";
  fail(BugKind::Nondeterminism,
       why +
           " (is the body deterministic? wall-clock time, unseeded randomness, addresses or "
           "state left over from an earlier run must not decide what it does)");
}

ObjectId Execution::register_object(ObjectKind kind, const Location& declared) {
  ObjectState& o = objects_.emplace_back();
  o.kind = kind;
  o.declared = declared;
  o.creator = threads_.empty() ? 0 : current_;
  if (kind == ObjectKind::Shared) saw_shared_ = true;
  if (kind == ObjectKind::Shared && !all_shared_points_) o.point = racy_site(declared);
  return static_cast<ObjectId>(objects_.size() - 1);
}

std::string Execution::site_of(const Location& declared) {
  return std::string(base_name(declared.file)) + ":" + std::to_string(declared.line);
}

bool Execution::racy_site(const Location& declared) {
  if (racy_sites_.empty()) return false;
  // Every schedule creates its variables again at the same declarations: the answer is kept
  // by the declaration's address (the same within this process), not rebuilt as a string.
  for (const SiteAnswer& a : site_answers_) {
    if (a.file == declared.file && a.line == declared.line) return a.racy;
  }
  const bool racy = std::binary_search(racy_sites_.begin(), racy_sites_.end(), site_of(declared));
  site_answers_.push_back(SiteAnswer{declared.file, declared.line, racy});
  return racy;
}

void Execution::set_shared_points(bool all, std::vector<std::string> racy_sites, bool learn) {
  site_answers_.clear();
  all_shared_points_ = all;
  racy_sites_ = std::move(racy_sites);
  std::sort(racy_sites_.begin(), racy_sites_.end());
  racy_sites_.erase(std::unique(racy_sites_.begin(), racy_sites_.end()), racy_sites_.end());
  learn_racy_ = learn;
}

void Execution::shared_access_unscheduled(OpKind kind, ObjectId object, const Location& where) {
  if (unwinding_) {
    fibers_.continue_unwinding();
    return;
  }
  if (abandon_pending_) abandon();
  if (coverage_on_) cover(kind, object, where);
  // A loop that never reaches a scheduling point still ends; the limit is generous, since a
  // correct program may make many accesses between points.
  constexpr std::uint64_t kAccessesPerStep = 100;
  const std::uint64_t limit =
      max_steps_ > UINT64_MAX / kAccessesPerStep ? UINT64_MAX : max_steps_ * kAccessesPerStep;
  if (++accesses_ > limit) {
    fail(BugKind::StepLimitExceeded,
         "the schedule made more than " + std::to_string(limit) +
             " accesses to Shared<T> variables that are not scheduling points (100 x "
             "max_steps; a loop that never ends?)");
    return;
  }
  note_effect(StepEffect::What::Op, kind, object);
  if (recording_) trace(kind, object, where, false);
}

std::string Execution::object_identity(ObjectId id) const {
  // The n-th object of this name created by this thread: the same object in every schedule,
  // whatever order threads happened to create their objects in.
  const std::string name = object_name(id);
  int rank = 1;
  for (ObjectId o = 0; o < id; ++o) {
    if (objects_[o].creator == objects_[id].creator && object_name(o) == name) ++rank;
  }
  return name + " [" + thread_name(objects_[id].creator) + " #" + std::to_string(rank) + "]";
}

std::string Execution::object_name(ObjectId id) const {
  if (id == kNoObject || id >= objects_.size()) return {};
  const ObjectState& o = objects_[id];
  if (!o.name.empty()) return o.name;
  if (o.kind == ObjectKind::Thread) return thread_name(o.owner);
  std::string n(to_string(o.kind));
  if (o.declared.file != nullptr && *o.declared.file != '\0') {
    n += '@';
    n += base_name(o.declared.file);
    n += ':';
    n += std::to_string(o.declared.line);
  }
  return n;
}

std::string Execution::thread_name(ThreadId id) const {
  if (id == kNoThread || id >= threads_.size()) return "nobody";
  const std::string& n = threads_[id].name;
  if (!n.empty()) return n;
  // Appended, not `"T" + std::to_string(id)`: GCC 12 at -O3 flags that form with a false
  // -Wrestrict warning (inside char_traits).
  std::string t(1, 'T');
  t += std::to_string(id);
  return t;
}

void Execution::point(OpKind kind, ObjectId object, const Location& where) {
  if (unwinding_) {
    fibers_.continue_unwinding();
    return;
  }
  if (abandon_pending_) abandon();
  ThreadState& t = threads_[current_];
  t.pending_kind = kind;
  t.pending_object = object;
  t.pending_where = where;
  if (steps_ < Execution::kFingerprintSteps) {
    // Consecutive operations are mostly in one file: its name is hashed once.
    if (where.file != fingerprint_file_) {
      fingerprint_file_ = where.file;
      fingerprint_file_hash_ = file_hash(where.file);
    }
    // One multiply per step (it is on every schedule's first steps): the operation's key,
    // folded in with a multiplicative mix.
    const std::uint64_t key = fingerprint_file_hash_ ^ (std::uint64_t{where.line} << 8) ^
                              static_cast<std::uint64_t>(kind);
    fingerprint_ = (fingerprint_ ^ key) * 0x9e3779b97f4a7c15ull;
    fingerprint_ ^= fingerprint_ >> 29;
  }
  if (++steps_ > max_steps_) {
    fail(BugKind::StepLimitExceeded,
         "the schedule ran past max_steps = " + std::to_string(max_steps_) +
             " scheduling points (livelock or a loop that never ends?)");
    return;
  }
  if (weak_ && (kind == OpKind::Yield || kind == OpKind::Sleep)) weak_memory_.yielded(current_);
  const ThreadId next = pick_next(kind == OpKind::Yield);
  if (next != current_) switch_to(next);
  if (coverage_on_) cover(kind, object, where);
  if (recording_) trace(kind, object, where, false);
}

std::uint32_t Execution::site_hash(const Location& where) {
  if (where.file != fingerprint_file_) {
    fingerprint_file_ = where.file;
    fingerprint_file_hash_ = where.file != nullptr ? file_hash(where.file) : 0;
  }
  const std::uint64_t h = (fingerprint_file_hash_ ^ where.line) * 0x9e3779b97f4a7c15ull;
  return static_cast<std::uint32_t>(h >> 32);
}

// An operation that observes an object is paired with the site (and sameness of thread) of the
// last one that changed it: the reads-from pairs of RFF (Wolff et al., ASPLOS 2024) for Shared
// and Atomic, and the hand-offs of locks, events, queues and semaphores. An operation that
// both observes and changes (an RMW, a lock) counts as both.
void Execution::cover(OpKind kind, ObjectId object, const Location& where) {
  if (object == kNoObject || object >= objects_.size() || unwinding_) return;
  bool observes = false;
  bool changes = false;
  switch (kind) {
    case OpKind::Load:
    case OpKind::IsSet:
    case OpKind::Size:
    case OpKind::Join:
    case OpKind::Wait:
      observes = true;
      break;
    case OpKind::Store:
    case OpKind::Unlock:
    case OpKind::Release:
    case OpKind::Notify:
    case OpKind::NotifyAll:
    case OpKind::Set:
    case OpKind::Clear:
    case OpKind::Done:
    case OpKind::TaskDone:
    case OpKind::Shutdown:
      changes = true;
      break;
    case OpKind::Rmw:
    case OpKind::Lock:
    case OpKind::TryLock:
    case OpKind::Acquire:
    case OpKind::Put:
    case OpKind::Get:
      observes = changes = true;
      break;
    default:
      return;
  }
  ObjectState& o = objects_[object];
  const std::uint32_t site = site_hash(where);
  if (observes) {
    const std::uint64_t same = o.cov_thread == current_ ? 1 : 0;
    coverage_.push_back((std::uint64_t{1} << 62) | (same << 61) |
                        (std::uint64_t{o.cov_site & 0x1fffffffu} << 32) | site);
  }
  if (changes) {
    o.cov_site = site;
    o.cov_thread = current_;
  }
}

void Execution::unscheduled(OpKind kind, ObjectId object, const Location& where) {
  note_effect(StepEffect::What::Op, kind, object);
  if (recording_ && !unwinding_) trace(kind, object, where, false);
}

void Execution::trace(OpKind kind, ObjectId object, const Location& where, bool blocked) {
  TraceEntry& e = trace_.emplace_back();
  e.thread = current_;
  e.kind = kind;
  e.blocked = blocked;
  e.object = object;
  e.where = where;
  e.internal = object != kNoObject && objects_[object].internal;
  if (needs_symbolizing(where)) trace_.back().stack = capture_stack();
  threads_[current_].last_trace = trace_.size() - 1;
}

bool Execution::block_until(ObjectId object, std::int64_t deadline) {
  if (unwinding_) {
    fibers_.continue_unwinding();
    return true;
  }
  if (abandon_pending_) abandon();
  // A deadline that already passed times out at once: time never runs backwards.
  if (deadline >= 0 && deadline <= now_) return true;
  if (weak_) weak_memory_.yielded(current_);
  ThreadState& t = threads_[current_];
  t.status = ThreadStatus::Blocked;
  t.waiting_on = object;
  t.deadline = deadline;
  t.timed_out = false;
  if (recording_) {
    // Blocking right in the announced operation annotates its line instead of adding one.
    if (t.last_trace + 1 != trace_.size() || trace_.back().object != object) {
      trace(t.pending_kind, object, t.pending_where, true);
    }
    trace_.back().blocked = true;
    const bool held = object != kNoObject && objects_[object].owner != kNoThread &&
                      objects_[object].kind != ObjectKind::Thread;
    append_block_note(trace_.back().value, held ? thread_name(objects_[object].owner) : "",
                      object != kNoObject, deadline);
  }
  const ThreadId next = pick_next(false);
  if (next == kNoThread) return true;  // only while unwinding
  if (next != current_) switch_to(next);
  ThreadState& self = threads_[current_];
  const bool timed_out = self.timed_out;
  self.timed_out = false;
  return timed_out;
}

void Execution::wake_all(ObjectId object) {
  note_effect(StepEffect::What::Wake, OpKind::Other, object);
  for (ThreadState& t : threads_) {
    if (t.status == ThreadStatus::Blocked && t.waiting_on == object && object != kNoObject) {
      t.status = ThreadStatus::Runnable;
      t.waiting_on = kNoObject;
      t.deadline = -1;
    }
  }
}

bool Execution::wake_one(ObjectId object) {
  note_effect(StepEffect::What::Wake, OpKind::Other, object);
  waiters_.clear();
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    const ThreadState& t = threads_[i];
    if (t.status == ThreadStatus::Blocked && t.waiting_on == object && object != kNoObject) {
      waiters_.push_back(static_cast<ThreadId>(i));
    }
  }
  if (waiters_.empty()) return false;
  const ThreadId chosen = waiters_.size() == 1
                              ? waiters_[0]
                              : waiters_[choose(static_cast<std::uint32_t>(waiters_.size()))];
  threads_[chosen].status = ThreadStatus::Runnable;
  threads_[chosen].waiting_on = kNoObject;
  threads_[chosen].deadline = -1;
  return true;
}

std::uint32_t Execution::choose(std::uint32_t bound) {
  if (bound <= 1 || unwinding_) return 0;
  const std::optional<std::uint32_t> v = scheduler_->next_choice(bound);
  if (!v || *v >= bound) {
    diverged();
    return 0;
  }
  record(Schedule::Decision{*v, bound});
  return *v;
}

ThreadId Execution::spawn(Task fn, const Location& where) {
  const auto id = static_cast<ThreadId>(threads_.size());
  const ObjectId object = register_object(ObjectKind::Thread, where);
  objects_[object].owner = id;
  ThreadState& t = threads_.emplace_back();
  t.fn = std::move(fn);
  t.object = object;
  t.slot = fibers_.spawn(&Execution::thread_entry, this);
  ModelEvent e{ModelEvent::Kind::Spawn};
  e.thread = current_;
  e.other = id;
  e.where = where;
  emit(e);
  return id;
}

void Execution::fail(BugKind kind, std::string message, std::string details,
                     std::vector<BugSite> sites) {
  if (unwinding_) return;
  if (!bug_) {
    bug_ = PendingBug{kind, std::move(message), std::move(details), {}, {}, std::move(sites)};
  }
  abandon();
}

void Execution::fail_later(BugKind kind, std::string message) {
  if (unwinding_) return;
  if (!bug_) bug_ = PendingBug{kind, std::move(message), {}, {}, {}, {}};
  abandon_pending_ = true;
}

void Execution::trace_value(std::string value) {
  if (!recording_ || unwinding_) return;
  const std::size_t i = threads_[current_].last_trace;
  if (!read_note_.empty()) {
    value += read_note_;
    read_note_.clear();
  }
  if (i < trace_.size()) trace_[i].value = std::move(value);
}

// --- Atomic<T> under MemoryModel::C11

void Execution::atomic_event(ObjectId o, Sync s, std::uint32_t slot, std::uint32_t from) {
  // The default checkers read the runtime's clocks and take no Sync events under C11: then
  // there is no event to build, on every atomic operation.
  const std::vector<Checker*>& to = interested_[static_cast<std::size_t>(ModelEvent::Kind::Sync)];
  if (to.empty()) return;
  ModelEvent ev{ModelEvent::Kind::Sync};
  ev.sync = s;
  ev.thread = current_;
  ev.object = o;
  ev.slot = slot;
  ev.from = from;
  for (Checker* c : to) c->on_event(ev);
}

// " (from T1's store at mp.cpp:12)"; a stale read also names the newest store it did not read.
void Execution::note_read(const WeakMemory::Read& r) {
  auto store_text = [this](const WeakMemory::Store& s) {
    if (s.initial) return std::string("the initial value");
    return thread_name(s.thread) + "'s store at " + std::string(base_name(s.where.file)) + ":" +
           std::to_string(s.where.line);
  };
  read_note_ = " (from " + store_text(*r.store);
  if (r.stale) read_note_ += "; stale: " + store_text(*r.newest) + " is newer";
  read_note_ += ')';
}

const void* Execution::atomic_load(ObjectId o, std::memory_order mo, const void* latest,
                                   std::size_t size) {
  if (unwinding_) return latest;
  const std::uint32_t n = weak_memory_.load_options(current_, o, mo, latest, size);
  const std::uint32_t choice = n > 1 ? choose(n) : 0;
  const WeakMemory::Read r = weak_memory_.load(current_, o, mo, choice);
  atomic_event(o, WeakMemory::acquires(mo) ? Sync::AtomicLoadAcquire : Sync::AtomicLoad, r.slot,
               AtomicClocks::kNoSlot);
  if (recording_) note_read(r);
  return r.bytes;
}

void Execution::atomic_store(ObjectId o, std::memory_order mo, const void* value,
                             const void* latest, std::size_t size, const Location& where) {
  if (unwinding_) return;
  const std::uint32_t slot = weak_memory_.store(current_, o, mo, value, latest, size, where);
  atomic_event(o, WeakMemory::releases(mo) ? Sync::AtomicStoreRelease : Sync::AtomicStore, slot,
               AtomicClocks::kNoSlot);
}

void Execution::atomic_rmw(ObjectId o, std::memory_order mo, bool wrote, const void* value,
                           const void* latest, std::size_t size, const Location& where) {
  if (unwinding_) return;
  std::uint32_t slot = AtomicClocks::kNoSlot;
  const WeakMemory::Read r =
      weak_memory_.rmw(current_, o, mo, wrote, value, latest, size, where, slot);
  const bool acquire = WeakMemory::acquires(WeakMemory::load_order(mo, wrote));
  atomic_event(o, acquire ? Sync::AtomicLoadAcquire : Sync::AtomicLoad, r.slot,
               AtomicClocks::kNoSlot);
  if (wrote) {
    atomic_event(o, WeakMemory::releases(mo) ? Sync::AtomicStoreRelease : Sync::AtomicStore, slot,
                 r.slot);
  }
}

namespace {
std::string order_name(std::memory_order mo) {
  switch (mo) {
    case std::memory_order_relaxed:
      return "relaxed";
    case std::memory_order_consume:
      return "consume";
    case std::memory_order_acquire:
      return "acquire";
    case std::memory_order_release:
      return "release";
    case std::memory_order_acq_rel:
      return "acq_rel";
    case std::memory_order_seq_cst:
      return "seq_cst";
  }
  return "?";
}
}  // namespace

void Execution::atomic_fence(std::memory_order mo, const Location& where) {
  if (!weak_) {
    // Sequential consistency: a fence orders nothing that is not ordered already.
    unscheduled(OpKind::Fence, kNoObject, where);
    if (recording_) trace_value(order_name(mo));
    return;
  }
  point(OpKind::Fence, kNoObject, where);
  if (recording_) trace_value(order_name(mo));
  if (unwinding_ || mo == std::memory_order_relaxed) return;
  weak_memory_.fence(current_, mo);
  const bool acquire = WeakMemory::acquires(mo);
  const bool release = WeakMemory::releases(mo);
  atomic_event(kNoObject,
               acquire && release ? Sync::FenceAcquireRelease
               : acquire          ? Sync::FenceAcquire
                                  : Sync::FenceRelease,
               0, AtomicClocks::kNoSlot);
}

std::string Execution::site(const Location& where, CallSite pc) const {
  if (!needs_symbolizing(where)) {
    return std::string(base_name(where.file)) + ":" + std::to_string(where.line);
  }
  if (pc.inner != nullptr || pc.outer != nullptr) {
    const std::vector<void*> stack{const_cast<void*>(pc.inner), const_cast<void*>(pc.outer)};
    std::string s = user_frame(stack);
    if (const auto paren = s.find(" ("); paren != std::string::npos) s.resize(paren);
    if (!s.empty()) return s;
    // Without debug information: the function and offset of the call differ between call
    // sites, so reports (and their deduplication keys) still tell them apart.
    const SymbolFrame f = symbol_frame(stack, true);
    if (!f.text.empty()) return f.text + (f.has_line ? "" : " [no debug info]");
  }
  // Callers put the site in parentheses or after "at": it carries none of its own.
  if (where.function != nullptr && *where.function != '\0') {
    return std::string("unknown line in ") + where.function;
  }
  return "unknown line";
}

// --- the seam used by instrument/

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return demangle(typeid(e).name()) + ": " + e.what();
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    return t != nullptr ? demangle(t->name()) : std::string("unknown exception");
  }
}

namespace {
std::map<std::string, std::string, std::less<>>& shown_functions() {
  static std::map<std::string, std::string, std::less<>> names;
  return names;
}

// "file.cpp:function", the key of a renamed function.
std::string function_key(std::string_view file, std::string_view function) {
  std::string key(base_name(file));
  key += ':';
  key += function;
  return key;
}
}  // namespace

void show_function_as(std::string_view file, std::string_view function, std::string shown) {
  shown_functions().insert_or_assign(function_key(file, function), std::move(shown));
}

std::string shown_function(std::string_view file, std::string_view function) {
  const auto& names = shown_functions();
  if (names.empty()) return std::string(function);
  const auto it = names.find(function_key(file, function));
  return it != names.end() ? it->second : std::string(function);
}

std::string location_text(const Location& where) {
  std::string s = std::string(base_name(where.file)) + ":" + std::to_string(where.line);
  if (where.function != nullptr && *where.function != '\0') {
    s += " (" + shown_function(where.file != nullptr ? where.file : "", where.function) + ")";
  }
  return s;
}

std::string site_text(const Execution& e, const Location& where, CallSite pc) {
  return needs_symbolizing(where) ? e.site(where, pc) : location_text(where);
}

void throw_mode_mismatch_at(const char* type, const char* file, unsigned line,
                            const char* function) {
  throw_mode_mismatch(type, Location{file, line, function});
}

void throw_mode_mismatch(const char* type, Location where) {
  std::string msg = std::string("weft::") + type + " used at " +
                    std::string(base_name(where.file)) + ":" + std::to_string(where.line) + " ";
  msg += current() != nullptr
             ? "inside explore()/replay() was created outside it; create it inside the body"
             : "outside explore()/replay() was created inside a model run";
  throw UsageError(msg);
}

ObjectId register_object(Execution& e, ObjectKind k, const Location& w) {
  return e.register_object(k, w);
}
void name_object(Execution& e, ObjectId id, std::string_view n) { e.name_object(id, n); }
void mark_internal(Execution& e, ObjectId id) { e.mark_internal(id); }
void trace_spawned(Execution& e, ThreadId id) { e.trace_spawned(id); }
std::string object_name(const Execution& e, ObjectId id) { return e.object_name(id); }
void point(Execution& e, OpKind k, ObjectId o, const Location& w) { e.point(k, o, w); }
void unscheduled(Execution& e, OpKind k, ObjectId o, const Location& w) { e.unscheduled(k, o, w); }
void block_on(Execution& e, ObjectId o) { e.block_on(o); }
bool block_until(Execution& e, ObjectId o, std::int64_t d) { return e.block_until(o, d); }
std::int64_t virtual_now(const Execution& e) { return e.now(); }
void wake_all(Execution& e, ObjectId o) { e.wake_all(o); }
bool wake_one(Execution& e, ObjectId o) { return e.wake_one(o); }
std::uint32_t choose(Execution& e, std::uint32_t bound) { return e.choose(bound); }
ThreadId current_thread(const Execution& e) { return e.current_thread(); }
std::string thread_name(const Execution& e, ThreadId t) { return e.thread_name(t); }
void set_thread_name(Execution& e, std::string_view n) { e.set_thread_name(n); }
ThreadId spawn(Execution& e, Task fn, const Location& w) { return e.spawn(std::move(fn), w); }
ObjectId thread_object(const Execution& e, ThreadId t) { return e.thread_object(t); }
bool thread_finished(const Execution& e, ThreadId t) { return e.thread_finished(t); }
void set_owner(Execution& e, ObjectId o, ThreadId t) { e.set_owner(o, t); }
ThreadId owner(const Execution& e, ObjectId o) { return e.owner(o); }
void fail(Execution& e, BugKind k, std::string m) { e.fail(k, std::move(m)); }
void fail_later(Execution& e, BugKind k, std::string m) { e.fail_later(k, std::move(m)); }
bool unwinding(const Execution& e) { return e.unwinding(); }

void sync(Execution& e, ObjectId o, Sync s) { e.sync(o, s); }
void shared_access(Execution& e, ObjectId o, bool write, ValueBits v, const Location& where,
                   CallSite pc) {
  e.shared_access(o, write, v, where, pc);
}
bool shared_point(Execution& e, OpKind k, ObjectId o, const void* value,
                  ValueBits (*bits)(const void*), const Location& where, CallSite site) {
  if (e.shared_point_at(o)) {
    e.point(k, o, where);
  } else {
    e.shared_access_unscheduled(k, o, where);
  }
  e.shared_access(o, k == OpKind::Store, bits(value), where, site);
  if (e.recording()) e.trace_call_site(site);
  return e.recording();
}
void lock_attempt(Execution& e, ObjectId o, const Location& w) {
  e.lock_event(ModelEvent::Kind::LockAttempt, o, w);
}
void lock_acquired(Execution& e, ObjectId o, const Location& w) {
  e.lock_event(ModelEvent::Kind::Acquired, o, w);
}
void lock_released(Execution& e, ObjectId o, const Location& w) {
  e.lock_event(ModelEvent::Kind::Unlock, o, w);
}
bool recording(const Execution& e) { return e.recording(); }
bool spurious_wakeups(const Execution& e) { return e.spurious_wakeups(); }
bool weak_memory(const Execution& e) { return e.weak_memory(); }
const void* atomic_load(Execution& e, ObjectId o, std::memory_order mo, const void* latest,
                        std::size_t size, const Location&) {
  return e.atomic_load(o, mo, latest, size);
}
void atomic_store(Execution& e, ObjectId o, std::memory_order mo, const void* value,
                  const void* latest, std::size_t size, const Location& where) {
  e.atomic_store(o, mo, value, latest, size, where);
}
void atomic_rmw(Execution& e, ObjectId o, std::memory_order mo, bool wrote, const void* value,
                const void* latest, std::size_t size, const Location& where) {
  e.atomic_rmw(o, mo, wrote, value, latest, size, where);
}
void atomic_fence(Execution& e, std::memory_order mo, const Location& where) {
  e.atomic_fence(mo, where);
}
void trace_value(Execution& e, std::string v) { e.trace_value(std::move(v)); }

}  // namespace weft::detail
