// weft/detail/model.hpp — the seam between the user-facing types (instrument/) and the model
// runtime. Not a public API: names here may change without notice.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <weft/errors.hpp>
#include <weft/explore.hpp>
#include <weft/location.hpp>

namespace weft::detail {

class Execution;

// The execution running on this OS thread; null means production mode. Every instrumented
// operation reads it once, so it must stay a plain thread_local pointer.
extern thread_local constinit Execution* tls_execution;
#ifdef WEFT_PRODUCTION_ONLY
// The model is compiled out: every model branch in the headers is statically dead.
constexpr Execution* current() noexcept { return nullptr; }
#else
inline Execution* current() noexcept { return tls_execution; }
#endif

// Keeps the compiler from turning the call before it into a tail call (or moving memory
// accesses across it).
inline void compiler_barrier() noexcept { asm volatile("" ::: "memory"); }

// True when an object created under `created_in` runs as the real primitive right now: one
// predictable branch on the production path.
inline bool production(const Execution* created_in) noexcept {
#ifdef WEFT_PRODUCTION_ONLY
  (void)created_in;
  return true;
#else
  return created_in == nullptr && tls_execution == nullptr;
#endif
}

// An object used in a mode other than the one it was created in.
[[noreturn]] void throw_mode_mismatch(const char* type, Location where);
// The same with the Location spelled out: cold calls from a production fast path pass scalars
// (in registers), because a Location passed by value or reference is built on the stack on
// every call, even when the call is not taken.
[[noreturn, gnu::cold]] void throw_mode_mismatch_at(const char* type, const char* file,
                                                    unsigned line, const char* function);

// The execution an object created under `created_in` must use now; UsageError when the object
// crossed modes (or executions).
inline Execution& model(Execution* created_in, const char* type, const Location& where) {
  if (created_in == nullptr || created_in != current()) throw_mode_mismatch(type, where);
  return *created_in;
}

// A move-only nullary callable (std::move_only_function is C++23): thread bodies may own
// move-only state, as with std::thread.
class Task {
 public:
  Task() = default;
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, Task>) explicit Task(F&& f)
      : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(f))) {}
  void operator()() { impl_->call(); }
  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F&& f) : fn(std::move(f)) {}
    explicit Impl(const F& f) : fn(f) {}
    void call() override { std::invoke(fn); }
    F fn;
  };
  std::unique_ptr<Base> impl_;
};

using ThreadId = std::uint32_t;
using ObjectId = std::uint32_t;
inline constexpr ThreadId kNoThread = 0xffffffffu;
inline constexpr ObjectId kNoObject = 0xffffffffu;

enum class ObjectKind : std::uint8_t {
  Thread,
  Mutex,
  RecursiveMutex,
  CondVar,
  Shared,
  Atomic,
  Semaphore,
  BoundedSemaphore,
  Event,
  Barrier,
  Queue,
  Other,
};
std::string_view to_string(ObjectKind);

enum class OpKind : std::uint8_t {
  Start,
  Spawn,
  Join,
  Yield,
  Sleep,
  Lock,
  TryLock,
  Unlock,
  Wait,
  Notify,
  NotifyAll,
  Load,
  Store,
  Rmw,
  Acquire,
  Release,
  // Named after the API members they trace, so that a trace reads like the code.
  Put,
  Get,
  TaskDone,
  Shutdown,
  Size,
  Set,
  Clear,
  IsSet,
  Done,  // a Future completes (its result, exception or cancellation is final)
  Other,
  Fence,  // weft::atomic_thread_fence (after Other: schedules' body fingerprints hash the kind)
};
std::string_view to_string(OpKind);

// "std::runtime_error: boom" for the exception being handled (call inside a catch handler).
std::string describe_current_exception();

// "file.cpp:12 (function)" for messages: the base name keeps reports free of build paths.
std::string location_text(const Location& where);

// Reports show the function named `function` in source file `file` (a generated one, such as a
// WEFT_SCENARIO body's, whose name is unique only in its file) as `shown`. Files are compared by
// base name. Meant for static initialisation, before any report is made.
void show_function_as(std::string_view file, std::string_view function, std::string shown);
// The name reports show for `function` of `file`: itself unless show_function_as renamed it.
std::string shown_function(std::string_view file, std::string_view function);

ObjectId register_object(Execution&, ObjectKind, const Location& declared);
void name_object(Execution&, ObjectId, std::string_view name);
// The object is weft's own (a pool's queue lock, a future's lock): traces fold its operations
// unless internal steps are asked for.
void mark_internal(Execution&, ObjectId);
// Whether replay() and trace_steps() show weft's own steps (explore() has
// Options::internal_steps): the CLI's --internal-steps.
void set_internal_steps_default(bool shown) noexcept;
bool internal_steps_default() noexcept;
// The trace row of the spawn just made shows thread `id` by its final name.
void trace_spawned(Execution&, ThreadId id);
std::string object_name(const Execution&, ObjectId);

// The scheduling point in front of every operation: records what the current thread is about to
// do, lets the strategy pick who runs, and returns when the current thread may apply it.
void point(Execution&, OpKind, ObjectId, const Location&);
// An operation that is not a scheduling point (a release such as unlock: nobody can observe the
// difference, and it runs in destructors), traced all the same.
void unscheduled(Execution&, OpKind, ObjectId, const Location&);
// Blocks the current thread until another thread wakes `object` for it (and it is scheduled).
void block_on(Execution&, ObjectId object);
// The same with a deadline in virtual nanoseconds: true if the deadline passed before a wake-up.
// `object` may be kNoObject (a plain sleep).
bool block_until(Execution&, ObjectId object, std::int64_t deadline_ns);
// Virtual time of the execution in nanoseconds since its start.
std::int64_t virtual_now(const Execution&);
void wake_all(Execution&, ObjectId object);
// Wakes one thread blocked on `object`, chosen by the strategy; false if none was blocked.
bool wake_one(Execution&, ObjectId object);
// A nondeterministic choice in [0, bound), made by the strategy and recorded in the schedule.
std::uint32_t choose(Execution&, std::uint32_t bound);

ThreadId current_thread(const Execution&);
std::string thread_name(const Execution&, ThreadId);
void set_thread_name(Execution&, std::string_view);
ThreadId spawn(Execution&, Task fn, const Location&);
ObjectId thread_object(const Execution&, ThreadId);
bool thread_finished(const Execution&, ThreadId);

// Lock ownership, kept by the execution so that deadlock reports can name holders.
void set_owner(Execution&, ObjectId, ThreadId);
ThreadId owner(const Execution&, ObjectId);

// Reports a bug and abandons the schedule at once. Returns only while unwinding (when bugs are
// no longer reported), so callers must be ready to continue.
void fail(Execution&, BugKind, std::string message);
// Reports a bug from a context that must not be unwound (destructors, unlock): the schedule is
// abandoned at the next scheduling point instead.
void fail_later(Execution&, BugKind, std::string message);

// The happens-before effect of an operation on its object, reported after it applied.
// Release publishes the thread's clock by joining it into the object's; Overwrite replaces the
// object's clock (an atomic store: a later load synchronises with that store only).
// The Atomic* kinds are C11 atomics (MemoryModel::C11), sent by the runtime itself with the
// store's slot (ModelEvent::slot, ::from): see AtomicClocks in weft/detail/clocks.hpp.
enum class Sync : std::uint8_t {
  Acquire,
  Release,
  AcquireRelease,
  Overwrite,
  AtomicStore,         // a relaxed store: its message is the thread's last release fence
  AtomicStoreRelease,  // a release store: its message is the thread's clock
  AtomicLoad,          // a relaxed load: what it read waits for an acquire fence
  AtomicLoadAcquire,   // an acquire load: joins the message of the store it read
  FenceAcquire,
  FenceRelease,
  FenceAcquireRelease,
};
void sync(Execution&, ObjectId, Sync);

// A value read or written, kept as bits so that nothing is formatted while exploring.
struct ValueBits {
  std::uint64_t bits = 0;
  std::string (*format)(std::uint64_t) = nullptr;  // null: the type cannot be shown
};
// Where an operator (which cannot take a Location) was called from: return addresses, named
// from debug information only when a report needs them. `inner` is the return address of an
// out-of-line call made from the inlined operator (it lands in the user's function); `outer`
// that of the operator itself, for builds that do not inline it.
struct CallSite {
  const void* inner = nullptr;
  const void* outer = nullptr;
  friend bool operator==(const CallSite&, const CallSite&) = default;
};
// Where code without a Location of its own was called from: location_text(where) when `where`
// names the user's line, else the line (or, without debug information, the function and
// offset) of the innermost return address in `pc` that is in the user's code.
std::string site_text(const Execution&, const Location& where, CallSite pc);
// A checked access to a Shared<T>. `site`: for operators, whose `where` is empty.
void shared_access(Execution&, ObjectId, bool write, ValueBits, const Location& where,
                   CallSite site);
// A Shared<T> access as one call: the scheduling point, then the checked access, whose value
// `bits(value)` is taken after the point (a load must see what other threads did meanwhile).
// Returns whether the run is recording (the caller then attaches the value to the trace).
bool shared_point(Execution&, OpKind, ObjectId, const void* value, ValueBits (*bits)(const void*),
                  const Location& where, CallSite site);
// Lock ownership, for the lock-order graph: a blocking acquisition starts (before it may
// block), a lock is now held (however it was taken), a lock is released for good.
void lock_attempt(Execution&, ObjectId, const Location& where);
void lock_acquired(Execution&, ObjectId, const Location& where);
void lock_released(Execution&, ObjectId, const Location& where);

// True while abandoned threads are being unwound: operations then apply without scheduling,
// blocking or reporting.
bool unwinding(const Execution&);
// True when this run records a full trace (the re-run of a failing schedule).
bool recording(const Execution&);
// Whether CondVar waits may wake spuriously (Options::spurious_wakeups), as a recorded choice.
bool spurious_wakeups(const Execution&);
// Attaches the value read or written to the current thread's last traced operation.
void trace_value(Execution&, std::string value);

// MemoryModel::C11: the runtime keeps each atomic's recent stores (their values as the bytes of
// a trivially copyable T) and decides what each operation reads. Called right after the
// operation's point(); `latest` is the atomic's current value, its newest store.
bool weak_memory(const Execution&);
// A load: the bytes of the store it reads, one that coherence and happens-before allow (which
// one is a recorded choice). Valid until the next operation.
const void* atomic_load(Execution&, ObjectId, std::memory_order, const void* latest,
                        std::size_t size, const Location& where);
// A store; or a read-modify-write, which reads `latest` and, if `wrote` (a compare-exchange
// that failed did not), stores `value` after it.
void atomic_store(Execution&, ObjectId, std::memory_order, const void* value, const void* latest,
                  std::size_t size, const Location& where);
void atomic_rmw(Execution&, ObjectId, std::memory_order, bool wrote, const void* value,
                const void* latest, std::size_t size, const Location& where);
// weft::atomic_thread_fence in the model.
void atomic_fence(Execution&, std::memory_order, const Location& where);

// The model identity every instrumented object carries: the execution it was created in (null
// in production) and its id there. Registration happens at construction.
// How many model objects exist right now, in any thread. While there are none — always, in a
// program that is not exploring — production fast paths skip reading their object's mode.
// Its top bit is not a count: it is set while lockdep (weft/lockdep.hpp) is on, so that a
// production lock operation reads one word for both of its optional checks.
extern std::atomic<std::size_t> model_objects_alive;
inline constexpr std::size_t kLockdepFlag = ~(~std::size_t{0} >> 1);
// True when a production lock operation has more to do than the real one: model objects exist
// (check the object's mode) or lockdep is on.
inline bool production_hooks() noexcept {
  return model_objects_alive.load(std::memory_order_relaxed) != 0;
}

class ModelObject {
 public:
  ModelObject(ObjectKind kind, std::string_view name, const Location& where) : ex_(current()) {
    if (ex_ == nullptr) return;
    model_objects_alive.fetch_add(1, std::memory_order_relaxed);
    id_ = register_object(*ex_, kind, where);
    if (!name.empty()) name_object(*ex_, id_, name);
  }
  ~ModelObject() {
    if (ex_ != nullptr) model_objects_alive.fetch_sub(1, std::memory_order_relaxed);
  }
  ModelObject(const ModelObject&) = delete;
  ModelObject& operator=(const ModelObject&) = delete;
  Execution* execution() const noexcept { return ex_; }
  ObjectId id() const noexcept { return id_; }
  // Renames the object in traces and reports; a no-op in production.
  void rename(std::string_view name) {
    if (ex_ != nullptr && ex_ == current()) name_object(*ex_, id_, name);
  }
  void mark_internal() {
    if (ex_ != nullptr && ex_ == current()) detail::mark_internal(*ex_, id_);
  }

 private:
  Execution* ex_;
  ObjectId id_ = kNoObject;
};

// The production fast path checks only the thread-local execution before the real operation.
// Whether the object itself was made in a model run (a UsageError) is checked after it, and
// only while model objects exist at all: reading the object's mode field on every operation
// would cost a contended object a second cache-line transfer.
inline void check_not_model(const ModelObject& object, const char* type, const char* file,
                            unsigned line, const char* function) {
#ifndef WEFT_PRODUCTION_ONLY
  if ((model_objects_alive.load(std::memory_order_relaxed) & ~kLockdepFlag) != 0) [[unlikely]] {
    if (object.execution() != nullptr) throw_mode_mismatch_at(type, file, line, function);
  }
#else
  (void)object;
  (void)type;
  (void)file;
  (void)line;
  (void)function;
#endif
}

// The model of both mutex kinds (Mutex, RecursiveMutex): ownership, re-entry counts, misuse.
// Defined in the runtime because a lock's owner is model state the deadlock diagnosis reads;
// the kind decides whether re-entry is counted or is Misuse.
class LockModel : public ModelObject {
 public:
  LockModel(ObjectKind kind, std::string_view name, const Location& where)
      : ModelObject(kind, name, where), kind_(kind) {}
  // Out of line, with the Location as scalars: the production fast path never builds one.
  [[gnu::cold]] void lock(const char* file, unsigned line, const char* function);
  [[gnu::cold]] bool try_lock(const char* file, unsigned line, const char* function);
  bool try_lock_for_ns(std::int64_t ns, const Location& where);
  [[gnu::cold]] void unlock(const char* file, unsigned line, const char* function);
  const char* type() const noexcept {
    return kind_ == ObjectKind::Mutex ? "Mutex" : "RecursiveMutex";
  }

 private:
  bool acquire_or_misuse(Execution& ex, const Location& where, bool trying);
  ObjectKind kind_;
  unsigned depth_ = 0;
  ThreadId last_unlocker_ = kNoThread;
};

}  // namespace weft::detail
