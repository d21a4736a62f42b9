// weft/future.hpp — Future<T> and Promise<T> (Python concurrent.futures.Future).
//
// A Future is a copyable handle to shared state (like std::shared_future; Python futures are
// shared objects): every copy sees the same result. The state moves Pending -> Running ->
// Finished, or Pending -> Cancelled; Finished and Cancelled are "done" and final.
//
// Inside explore() the state is built on weft primitives — a Mutex for the status, callbacks and
// waiters, and an Event that is set once the future is done — which gives scheduling points, the
// happens-before edge "result written -> get() returns", and deadlock detection (a get() that can
// never return is a thread blocked on the future's Event).
//
// In production the status is one atomic word instead, so that the common case — a task runs, its
// result is read — takes no lock and makes no system call: start and completion are one
// compare-and-swap each, done() is a load, and get() on a done future is a load. What needs a
// list (callbacks, as_completed/wait registrations, timed waits) takes a lock bit of the same
// word and sets a flag that sends the completion through that lock; there is no mutex or
// condition variable per future (the Event a timed wait sleeps on is made by the first timed
// wait). A get() on a pending future spins briefly (a pool worker usually finishes a short task
// within that time), then sleeps on the word (futex) after flagging that someone sleeps, so a
// completion notifies only when somebody waits. A future whose result arrives through I/O (a
// ProcessPoolExecutor's) may carry a WaitHelper, which an untimed wait calls first: the waiting
// thread then reads the result itself rather than sleeping until another thread has read it.
//
// In model traces a future's objects are named "Future@file:line" (the Event) and
// "Future@file:line.lock" (the Mutex) after the call that created it (submit, Promise).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <weft/condvar.hpp>
#include <weft/detail/model.hpp>
#include <weft/detail/platform.hpp>
#include <weft/errors.hpp>
#include <weft/event.hpp>
#include <weft/locks.hpp>
#include <weft/mutex.hpp>

namespace weft {

template <class T>
class Future;
template <class T>
class Promise;

namespace detail {

// The i-th round (from 1) of a polling loop: a pause, and every kYieldEvery-th round (about 8
// microseconds) a yield. With more runnable threads than cores (a busy machine), the thread being
// waited for may be queued behind this one on the same core: pure spinning would then delay exactly
// what it waits for by a whole spin budget. Not more often: on a busy machine a yield can give the
// core away for a whole time slice.
inline constexpr int kYieldEvery = 256;
inline void spin_pause(int i) noexcept {
  if (i % kYieldEvery == 0) {
    std::this_thread::yield();
  } else {
    cpu_relax();
  }
}

// The i-th round (from 0) of waiting for a lock held for a few instructions: spin at first, then
// yield, because the holder may have been preempted.
inline void backoff(int i) noexcept {
  if (i < 64) {
    cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

// Inside a catch (...) handler: lets the exception that unwinds an abandoned schedule's threads
// pass (it must never be stored or swallowed).
inline void rethrow_if_unwinding() {
  if (Execution* ex = current(); ex != nullptr && unwinding(*ex)) throw;
}

// "Kind@file.cpp:12" for the model objects of a future, an as_completed or a pool.
inline std::string site_name(std::string_view kind, const Location& where) {
  std::string n(kind);
  if (where.file != nullptr && *where.file != '\0') {
    std::string_view file(where.file);
    if (const auto slash = file.find_last_of('/'); slash != std::string_view::npos) {
      file.remove_prefix(slash + 1);
    }
    n += '@';
    n += file;
    n += ':';
    n += std::to_string(where.line);
  }
  return n;
}

// An exception escaped a done-callback. Python logs it and goes on; so does production (one
// line on stderr). In model mode it is an UncaughtException bug, so that exploration shows it.
inline void report_callback_failure(const std::string& what) {
  if (Execution* ex = current(); ex != nullptr) {
    if (!unwinding(*ex)) {
      fail(*ex, BugKind::UncaughtException,
           "exception escaped a Future done-callback in thread " +
               thread_name(*ex, current_thread(*ex)) + ": " + what);
    }
    return;
  }
  std::fprintf(stderr, "weft: exception in a Future done-callback (ignored): %s\n", what.c_str());
}

// Completion stamps order completions across futures (as_completed yields futures that were
// already done in the order they completed). Taken under the future's lock, so the stamps of
// completions ordered by happens-before increase.
inline std::atomic<std::uint64_t> completion_stamps{0};

enum class FutureStatus : std::uint8_t { Pending, Running, Finished, Cancelled };

class FutureStateBase;

// Collects the completions of a set of futures for as_completed() and wait(): each future
// reports (index, stamp, failed) once, with its own lock held. Shared (by shared_ptr) between
// the consumer and the futures it is registered with, so an abandoned consumer leaves nothing
// dangling.
class CompletionWaiter {
 public:
  struct Entry {
    std::uint64_t stamp;
    std::size_t index;
    bool failed;             // finished with an exception (not cancelled)
    FutureStateBase* state;  // kept alive by the consumer's futures
  };

  CompletionWaiter(std::string_view kind, const Location& where) : m_(where), cv_(where) {
    if (current() != nullptr) {
      const std::string name = site_name(kind, where);
      m_.set_name(name + ".lock");
      cv_.set_name(name);
      mark_internal(m_);
    }
  }

  // Called by a completing future, with the future's lock held (lock order: future -> waiter).
  void notify(std::size_t index, std::uint64_t stamp, bool failed, FutureStateBase* state) {
    std::unique_lock lock(m_);
    // Unconsumed entries stay in stamp order: what completed first is yielded first.
    std::size_t at = entries_.size();
    while (at > consumed_ && entries_[at - 1].stamp > stamp) --at;
    entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at),
                    Entry{stamp, index, failed, state});
    const bool wake = sleeping_;
    lock.unlock();
    if (wake) cv_.notify_one();
  }

  // Consumer side (one thread). Blocks until an entry not yet taken exists, and takes it.
  Entry take(const Location& where) {
    std::unique_lock<Mutex> lock(m_, where);
    while (consumed_ == entries_.size()) {
      sleeping_ = true;
      cv_.wait(lock, where);
      sleeping_ = false;
    }
    return entries_[consumed_++];
  }
  // Consumer side: hands every entry not yet taken to `absorb`, then, while `satisfied()` is
  // false, waits for more.
  template <class Absorb, class Satisfied>
  void drain_until(Absorb absorb, Satisfied satisfied, const Location& where) {
    std::unique_lock<Mutex> lock(m_, where);
    for (;;) {
      while (consumed_ < entries_.size()) absorb(entries_[consumed_++]);
      if (satisfied()) return;
      sleeping_ = true;
      cv_.wait(lock, where);
      sleeping_ = false;
    }
  }

  // as_completed's cursor (consumer thread only; never touched by notify): moves to the next
  // completed future, or to the end once all `total` were yielded. Defined after
  // FutureStateBase.
  void advance();
  std::size_t total = 0;
  Location where{};
  std::size_t yielded = 0;
  std::size_t position = 0;  // index of the future yielded last
  bool started = false;
  bool finished = false;

 private:
  Mutex m_;
  CondVar cv_;
  std::vector<Entry> entries_;  // [0, consumed_) taken; the rest sorted by stamp
  std::size_t consumed_ = 0;
  bool sleeping_ = false;
};

// The link of a production ThreadPoolExecutor's lock-free task queue (its stub node is a bare
// QueueLink).
struct QueueLink {
  std::atomic<QueueLink*> qnext{nullptr};
};

// The type-independent part of a future's shared state. Also the work item of a
// ThreadPoolExecutor: tasks are queued through an intrusive link (`next` in the model,
// `QueueLink` in production), and `queued` keeps the state alive while it is in the queue (no
// allocation per push).
// Production: lets a thread about to sleep on a future do the work that completes it instead
// (a ProcessPoolExecutor's waiting thread reads the worker's socket itself: one wake-up less).
class WaitHelper {
 public:
  // Returns when the future is final or the helper cannot help (then the caller sleeps).
  virtual void help(FutureStateBase& state) = 0;

 protected:
  ~WaitHelper() = default;
};

class FutureStateBase : public QueueLink {
 public:
  // The production status word: a status in the low bits plus two flags.
  static constexpr std::uint32_t kPending = 0;
  static constexpr std::uint32_t kRunning = 1;
  static constexpr std::uint32_t kCompleting = 2;  // a Promise is storing its result
  static constexpr std::uint32_t kCancelling = 3;  // cancel() won; callbacks not yet run
  static constexpr std::uint32_t kFinished = 4;
  static constexpr std::uint32_t kCancelled = 5;
  static constexpr std::uint32_t kStatusMask = 7;
  static constexpr std::uint32_t kSlow = 8;       // completion must take the lock (lists, Event)
  static constexpr std::uint32_t kSleepers = 16;  // a thread sleeps on the word: notify it
  static constexpr std::uint32_t kLocked = 32;    // the lock over the lists (production)

  explicit FutureStateBase(const Location& where) : prod(current() == nullptr) {
    if (!prod) {
      parts = std::make_unique<Parts>(where);
      const std::string name = site_name("Future", where);
      parts->done.set_name(name);
      parts->m.set_name(name + ".lock");
      mark_internal(parts->m);
    }
  }
  FutureStateBase(const FutureStateBase&) = delete;
  FutureStateBase& operator=(const FutureStateBase&) = delete;
  virtual ~FutureStateBase() = default;

  // Runs the task (executor work items only); `self` owns this state.
  virtual void run(std::shared_ptr<FutureStateBase>& self) = 0;
  // Future::cancel() without knowing T; `self` owns this state.
  virtual bool cancel(const std::shared_ptr<FutureStateBase>& self, const Location& where) = 0;

  static bool is_final(std::uint32_t w) noexcept {
    const std::uint32_t st = w & kStatusMask;
    return st == kFinished || st == kCancelled;
  }
  static FutureStatus decode(std::uint32_t w) noexcept {
    switch (w & kStatusMask) {
      case kRunning:
      case kCompleting:
        return FutureStatus::Running;
      case kFinished:
        return FutureStatus::Finished;
      case kCancelled:
        return FutureStatus::Cancelled;
      default:
        return FutureStatus::Pending;
    }
  }
  // A future made outside explore() used inside it: a UsageError, as for every weft object.
  static void check_production(const Location& where) {
    if (current() != nullptr) [[unlikely]] {
      throw_mode_mismatch_at("Future", where.file, where.line, where.function);
    }
  }
  // The status as of now: production reads the word; the model's caller holds `m` (or waited
  // for `done`, after which the status is final).
  FutureStatus status_now(const Location& where) const {
    if (prod) {
      check_production(where);
      return decode(word.load(std::memory_order_acquire));
    }
    return status;
  }
  bool failed_with(FutureStatus s) const noexcept { return s == FutureStatus::Finished && error; }

  // Model: the Mutex over the status and lists, and the Event set once the future is done.
  Mutex& m() noexcept { return parts->m; }
  Event& done() noexcept { return parts->done; }

  // Production: the lock over the lists is a bit of the word, held for a few instructions. A
  // completion never takes it unless kSlow or kLocked is set.
  void lock_bits() noexcept {
    std::uint32_t w = word.load(std::memory_order_relaxed);
    for (int i = 0;; ++i) {
      if ((w & kLocked) == 0 &&
          word.compare_exchange_weak(w, w | kLocked, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
        return;
      }
      backoff(i);
      w = word.load(std::memory_order_relaxed);
    }
  }
  void unlock_bits() noexcept { word.fetch_and(~kLocked, std::memory_order_release); }
  struct BitLock {
    explicit BitLock(FutureStateBase& s) noexcept : s(s) { s.lock_bits(); }
    ~BitLock() { s.unlock_bits(); }
    BitLock(const BitLock&) = delete;
    BitLock& operator=(const BitLock&) = delete;
    FutureStateBase& s;
  };

  // Blocks until the future is done (finished or cancelled).
  void wait_done(const Location& where) {
    if (!prod) {
      done().wait(where);
      return;
    }
    check_production(where);
    std::uint32_t w = word.load(std::memory_order_acquire);
    if (is_final(w)) [[likely]]
      return;
    if (const std::shared_ptr<WaitHelper> h = helper.lock()) {
      h->help(*this);
      w = word.load(std::memory_order_acquire);
      if (is_final(w)) return;
    }
    block_until_final(w);
  }
  // False if the timeout expired first (virtual time in the model).
  template <class R, class P>
  bool wait_done_for(std::chrono::duration<R, P> d, const Location& where) {
    if (!prod) return done().wait_for(d, where);
    check_production(where);
    {
      // A timed wait sleeps on an Event (made by the first timed wait), which the slow
      // completion sets.
      BitLock lock(*this);
      if (!flag_slow_unless_final()) return true;
      if (!parts) parts = std::make_unique<Parts>(where);
    }
    return parts->done.wait_for(d, where);
  }
  bool is_done(const Location& where) {
    if (prod) {
      check_production(where);
      return is_final(word.load(std::memory_order_acquire));
    }
    std::lock_guard<Mutex> lock(m(), where);
    return status == FutureStatus::Finished || status == FutureStatus::Cancelled;
  }

  // Pending -> Running. False if the future was cancelled first (then the task must not run).
  bool start(const Location& where) {
    if (prod) {
      check_production(where);
      std::uint32_t w = word.load(std::memory_order_relaxed);
      do {
        if ((w & kStatusMask) != kPending) return false;
      } while (!word.compare_exchange_weak(w, (w & ~kStatusMask) | kRunning,
                                           std::memory_order_acq_rel, std::memory_order_relaxed));
      return true;
    }
    std::lock_guard<Mutex> lock(m(), where);
    if (status != FutureStatus::Pending) return false;
    status = FutureStatus::Running;
    return true;
  }

  struct Registration {
    bool registered;  // false: the future was already done; the waiter got its entry at once
  };
  // Registers `w` to be told (as `index`) when this future is done — at once if it already is.
  Registration add_waiter(const std::shared_ptr<CompletionWaiter>& w, std::size_t index,
                          const Location& where) {
    if (prod) {
      check_production(where);
      BitLock lock(*this);
      if (!flag_slow_unless_final()) {
        w->notify(index, stamp, failed_with(decode(word.load(std::memory_order_acquire))), this);
        return {false};
      }
      waiters.push_back(WaiterEntry{w, index});
      return {true};
    }
    std::lock_guard<Mutex> lock(m(), where);
    if (status == FutureStatus::Finished || status == FutureStatus::Cancelled) {
      w->notify(index, stamp, failed_locked(), this);
      return {false};
    }
    waiters.push_back(WaiterEntry{w, index});
    return {true};
  }
  void remove_waiter(const CompletionWaiter* w, const Location& where) {
    auto erase = [&] {
      std::erase_if(waiters, [&](const WaiterEntry& e) { return e.waiter.get() == w; });
    };
    if (prod) {
      BitLock lock(*this);
      erase();
      return;
    }
    std::lock_guard<Mutex> lock(m(), where);
    erase();
  }

  bool failed_locked() const noexcept { return failed_with(status); }

  // Production, with the bit lock held: sets kSlow so that the completion will take the lock
  // (and see what the caller is about to register). False if the future is already final.
  bool flag_slow_unless_final() noexcept {
    std::uint32_t w = word.load(std::memory_order_acquire);
    for (;;) {
      if (is_final(w)) return false;
      if ((w & kSlow) != 0) return true;
      if (word.compare_exchange_weak(w, w | kSlow, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        return true;
      }
    }
  }

  // Production: moves a status in `from_mask` (a bit per status) to kCompleting or
  // kCancelling, claiming the right to store the outcome. False: the status was `found`.
  bool claim(std::uint32_t from_mask, std::uint32_t to, std::uint32_t& found) noexcept {
    std::uint32_t w = word.load(std::memory_order_acquire);
    for (;;) {
      found = w & kStatusMask;
      if (((1u << found) & from_mask) == 0) return false;
      if (word.compare_exchange_weak(w, (w & ~kStatusMask) | to, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        return true;
      }
    }
  }

  // Undoes a claim whose store threw (flags set meanwhile are kept).
  void unclaim(std::uint32_t previous) noexcept {
    std::uint32_t w = word.load(std::memory_order_relaxed);
    while (!word.compare_exchange_weak(w, (w & ~kStatusMask) | previous, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
    }
  }

  // Production: the outcome (value or error) is stored; makes it visible as `final`. True if
  // that is all (nothing registered); false: kSlow or kLocked is set, and the caller completes
  // under the bit lock (publish_slow_locked). The stamp is taken first: a reader that sees the
  // status sees it.
  bool publish_fast(std::uint32_t final_word) noexcept {
    stamp = completion_stamps.fetch_add(1, std::memory_order_relaxed) + 1;
    std::uint32_t w = word.load(std::memory_order_relaxed);
    for (;;) {
      if ((w & (kSlow | kLocked)) != 0) return false;
      if (word.compare_exchange_weak(w, final_word, std::memory_order_release,
                                     std::memory_order_relaxed)) {
        break;
      }
    }
    // The caller owns a reference: the state outlives this call even if the waiter drops its own.
    if ((w & kSleepers) != 0) word.notify_all();
    return true;
  }
  // The rest of a completion that found kSlow or kLocked, with the bit lock held: publishes,
  // tells the completion waiters. Returns the previous word (kSleepers: notify after unlocking).
  std::uint32_t publish_slow_locked(std::uint32_t final_word) {
    const std::uint32_t old = word.exchange(final_word | kLocked, std::memory_order_acq_rel);
    const bool failed = failed_with(decode(final_word));
    for (WaiterEntry& e : waiters) e.waiter->notify(e.index, stamp, failed, this);
    waiters.clear();
    waiters.shrink_to_fit();
    return old;
  }

  // Production: spins briefly (the completing thread is usually running), then sleeps on the
  // word until it is final. The spin budget adapts per waiting thread: it doubles when a spin
  // sees the completion before its first yield, and halves when the completion needed a yield
  // or a sleep — on a busy machine (more runnable threads than cores) the completing thread is
  // often not running, or queued behind this one, and a full spin would add its length to
  // every wait.
  void block_until_final(std::uint32_t w) noexcept {
    const int budget = wait_spin_budget;
    for (int i = 1; i <= budget; ++i) {
      spin_pause(i);
      w = word.load(std::memory_order_acquire);
      if (is_final(w)) {
        wait_spin_budget =
            i < kYieldEvery ? std::min(kMaxSpins, budget * 2) : std::max(kMinSpins, budget / 2);
        return;
      }
    }
    wait_spin_budget = std::max(kMinSpins, budget / 2);
    for (;;) {
      if ((w & kSleepers) == 0) {
        if (!word.compare_exchange_weak(w, w | kSleepers, std::memory_order_acquire,
                                        std::memory_order_acquire)) {
          if (is_final(w)) return;
          continue;
        }
        w |= kSleepers;
      }
      word.wait(w, std::memory_order_acquire);
      w = word.load(std::memory_order_acquire);
      if (is_final(w)) return;
    }
  }
  // At most about 25-40 microseconds of pause instructions on the benchmark machine: longer
  // than a short task on a running worker, much shorter than a scheduler time slice.
  static constexpr int kMaxSpins = 1000;
  static constexpr int kMinSpins = 32;
  static inline thread_local int wait_spin_budget = kMaxSpins;

  // Done: status final, waiters told. Caller holds `m` and sets `done` before releasing it, so
  // that whoever sees the status under `m` (done(), add_waiter) also finds the Event set.
  // Waiters are told first, so that a completion that happens before another (its task waited
  // for the first one) also reaches them first; they wait for `done` themselves before they
  // hand the future out (CompletionWaiter::take / wait()).
  void mark_done_locked(FutureStatus final_status) {
    status = final_status;
    stamp = completion_stamps.fetch_add(1, std::memory_order_relaxed) + 1;
    for (WaiterEntry& e : waiters) e.waiter->notify(e.index, stamp, failed_locked(), this);
    waiters.clear();
    waiters.shrink_to_fit();
  }

  struct WaiterEntry {
    std::shared_ptr<CompletionWaiter> waiter;
    std::size_t index;
  };

  struct Parts {
    explicit Parts(const Location& where) : m(where), done(where), created(where) {}
    Mutex m;           // model: guards everything below that is not final once `done` is set
    Event done;        // model: set once the future is Finished or Cancelled; production: the same,
                       // but only by a slow completion (timed waits sleep on it)
    Location created;  // model: the call that made the future (submit): its task's line
  };

  // What a task touches comes first (one cache line with the link and the vtable pointer).
  const bool prod;  // created outside explore(): the status lives in `word`
  std::atomic<std::uint32_t> word{kPending};  // production status and flags
  std::uint64_t stamp = 0;
  std::exception_ptr error;
  std::shared_ptr<FutureStateBase> queued;      // ThreadPoolExecutor: the queue's reference
  FutureStateBase* next = nullptr;              // model ThreadPoolExecutor queue link (pool lock)
  FutureStatus status = FutureStatus::Pending;  // model status
  std::vector<WaiterEntry> waiters;
  // Model: made with the state (its objects are registered in the same order as ever).
  // Production: made by the first timed wait only, so that a plain task builds no mutex.
  std::unique_ptr<Parts> parts;
  // Production: set before the future is handed out; untimed waits call it before sleeping.
  std::weak_ptr<WaitHelper> helper;
};

inline void CompletionWaiter::advance() {
  if (finished) return;
  if (yielded == total) {
    finished = true;
    return;
  }
  const Entry e = take(where);
  // Told under the future's lock just before it sets its Event: wait for that too, so that the
  // future handed out is done through every member (wait_for(0) included).
  e.state->wait_done(where);
  position = e.index;
  ++yielded;
}

template <class T>
class FutureState : public FutureStateBase {
 public:
  using Callback = std::function<void(Future<T>&)>;
  using Storage = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;

  explicit FutureState(const Location& where) : FutureStateBase(where) {}

  // A Promise's state is never queued.
  void run(std::shared_ptr<FutureStateBase>&) override {}
  bool cancel(const std::shared_ptr<FutureStateBase>& self, const Location& where) override {
    return cancel_typed(std::static_pointer_cast<FutureState>(self), where);
  }

  // Running (or Pending, for a Promise) -> Finished: the value or `error` was written by the
  // only thread allowed to (the one that started it, or under `m` for a Promise). Releases
  // waiters, then runs the callbacks in this thread (after unlocking), as Python does.
  void finish(const std::shared_ptr<FutureState>& self, std::unique_lock<Mutex>& lock,
              const Location& where) {
    mark_done_locked(FutureStatus::Finished);
    std::vector<Callback> cbs;
    cbs.swap(callbacks);
    done().set_as(OpKind::Done, error ? "exception" : "result", where);
    lock.unlock();
    run_callbacks(self, cbs);
  }

  // Production: the outcome is stored by the thread that owns the completion (a Running task,
  // or a claimed kCompleting / kCancelling); publishes it, then, if anything was registered,
  // releases timed waiters and completion waiters and runs the callbacks in this thread.
  // `self` (any shared_ptr to this state) is converted only on that slow path.
  template <class Self>
  void publish(std::uint32_t final_word, const Self& self) {
    if (publish_fast(final_word)) [[likely]]
      return;
    std::vector<Callback> cbs;
    std::uint32_t old = 0;
    Parts* timed = nullptr;
    {
      BitLock lock(*this);
      old = publish_slow_locked(final_word);
      cbs.swap(callbacks);
      timed = parts.get();
    }
    if (timed != nullptr) timed->done.set();
    if ((old & kSleepers) != 0) word.notify_all();
    if (!cbs.empty()) run_callbacks(std::static_pointer_cast<FutureState>(self), cbs);
  }

  // Pending -> Cancelled. True if the future is (now) cancelled.
  bool cancel_typed(const std::shared_ptr<FutureState>& self, const Location& where) {
    if (prod) {
      check_production(where);
      std::uint32_t found = 0;
      if (claim(1u << kPending, kCancelling, found)) {
        publish(kCancelled, self);
        return true;
      }
      // Another cancel() won the race: it is (about to be) cancelled, as this caller asked.
      if (found == kCancelling) wait_done(where);
      return found == kCancelling || found == kCancelled;
    }
    std::unique_lock<Mutex> lock(m(), where);
    if (status == FutureStatus::Cancelled) return true;
    if (status != FutureStatus::Pending) return false;
    mark_done_locked(FutureStatus::Cancelled);
    std::vector<Callback> cbs;
    cbs.swap(callbacks);
    done().set_as(OpKind::Done, "cancelled", where);
    lock.unlock();
    run_callbacks(self, cbs);
    return true;
  }

  void add_callback(const std::shared_ptr<FutureState>& self, Callback cb, const Location& where) {
    if (prod) {
      check_production(where);
      BitLock lock(*this);
      if (flag_slow_unless_final()) {
        callbacks.push_back(std::move(cb));
        return;
      }
    } else {
      std::lock_guard<Mutex> lock(m(), where);
      if (status != FutureStatus::Finished && status != FutureStatus::Cancelled) {
        callbacks.push_back(std::move(cb));
        return;
      }
    }
    std::vector<Callback> now;
    now.push_back(std::move(cb));
    run_callbacks(self, now);
  }

  static void run_callbacks(const std::shared_ptr<FutureState>& self, std::vector<Callback>& cbs);

  Storage value{};
  bool taken = false;  // move-only T: get() moved the value out
  std::vector<Callback> callbacks;
};

// A submitted task: the future's state plus the callable, in one allocation.
template <class T, class Fn>
class TaskState final : public FutureState<T> {
 public:
  template <class G>
  TaskState(const Location& where, G&& fn) : FutureState<T>(where), fn_(std::forward<G>(fn)) {}

  void run(std::shared_ptr<FutureStateBase>& self) override {
    if (!this->start(Location::current())) {
      fn_.reset();  // cancelled before it started
      return;
    }
    try {
      if constexpr (std::is_void_v<T>) {
        std::invoke(std::move(*fn_));
      } else {
        this->value.emplace(std::invoke(std::move(*fn_)));
      }
    } catch (...) {
      rethrow_if_unwinding();
      this->error = std::current_exception();
    }
    // The callable (and what it captured) is released before anyone can see the result.
    fn_.reset();
    if (this->prod) {
      this->publish(FutureStateBase::kFinished, self);
      return;
    }
    std::unique_lock lock(this->m());
    // The task's end is traced at the line that submitted it, not inside weft (when that line is
    // known: submit with arguments has no Location parameter).
    const Location& created = this->parts->created;
    this->finish(std::static_pointer_cast<FutureState<T>>(self), lock,
                 created.file != nullptr && *created.file != '\0' ? created : Location::current());
  }

 private:
  std::optional<Fn> fn_;
};

// Lets the executor and the waiting functions reach a Future's state.
struct FutureAccess {
  template <class T>
  static const std::shared_ptr<FutureState<T>>& state(const Future<T>& f, const Location& where) {
    f.check(where);
    return f.state_;
  }
  template <class T>
  static Future<T> make(std::shared_ptr<FutureState<T>> s) noexcept {
    return Future<T>(std::move(s));
  }
  // Waits and moves the value out: for a caller that holds the only handle (map()).
  template <class T>
  static T take(Future<T>& f, const Location& where) {
    f.wait(where);
    FutureState<T>& s = *f.state_;
    f.throw_if_failed();
    if constexpr (!std::is_void_v<T>) return std::move(*s.value);
  }
};

}  // namespace detail

// The result of an asynchronous computation; a copyable handle to shared state.
// Default-constructed futures have no state (valid() is false; every other member then throws
// UsageError). Equality compares the shared state; std::hash is provided.
template <class T>
class Future {
  static_assert(!std::is_reference_v<T>, "weft::Future<T&> is not supported: use a value type");

 public:
  Future() noexcept = default;

  bool valid() const noexcept { return state_ != nullptr; }

  // Waits until the future is done; returns the value or rethrows the task's exception (the
  // same exception object for every caller); throws CancelledError if it was cancelled. A
  // copyable T is copied, so get() may be called any number of times from any copy; a move-only
  // T is moved out by the first get(), and a second get() throws UsageError.
  T get(Location where = Location::current()) const {
    wait(where);
    throw_if_failed();
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
      return *state_->value;
    } else {
      auto take = [&] {
        if (state_->taken) {
          throw UsageError("weft::Future::get(): the move-only value was already taken");
        }
        state_->taken = true;
      };
      if (state_->prod) {
        detail::FutureStateBase::BitLock lock(*state_);
        take();
      } else {
        std::lock_guard<Mutex> lock(state_->m(), where);
        take();
      }
      return std::move(*state_->value);
    }
  }
  // Waits until the future is done (finished or cancelled).
  void wait(Location where = Location::current()) const {
    check(where);
    state_->wait_done(where);
  }
  // False if the timeout expired first (virtual time in model mode).
  template <class R, class P>
  bool wait_for(std::chrono::duration<R, P> d, Location where = Location::current()) const {
    check(where);
    return state_->wait_done_for(d, where);
  }
  // Finished or cancelled; does not wait.
  bool done(Location where = Location::current()) const {
    check(where);
    return state_->is_done(where);
  }
  // Succeeds only while the task has not started: the future becomes done and cancelled, its
  // callbacks run (in this thread), and the task will never run. True if the future is
  // cancelled (also when it already was); false if it is running or finished.
  bool cancel(Location where = Location::current()) {
    check(where);
    return state_->cancel_typed(state_, where);
  }
  // Started and not finished yet (Python's running()).
  bool running(Location where = Location::current()) const {
    check(where);
    if (state_->prod) return state_->status_now(where) == detail::FutureStatus::Running;
    std::lock_guard<Mutex> lock(state_->m(), where);
    return state_->status == detail::FutureStatus::Running;
  }
  bool cancelled(Location where = Location::current()) const {
    check(where);
    if (state_->prod) return state_->status_now(where) == detail::FutureStatus::Cancelled;
    std::lock_guard<Mutex> lock(state_->m(), where);
    return state_->status == detail::FutureStatus::Cancelled;
  }
  // Waits; null if the task succeeded, else its exception. Throws CancelledError if the future
  // was cancelled (as Python's Future.exception() raises it).
  std::exception_ptr exception(Location where = Location::current()) const {
    wait(where);
    if (state_->status_now(where) == detail::FutureStatus::Cancelled) throw CancelledError();
    return state_->error;
  }
  // Calls `fn(future)` once the future is done: at once, in this thread, if it already is;
  // otherwise in the thread that completes it (or cancels it), after get() waiters have been
  // released, in the order the callbacks were added. An exception escaping a callback is
  // ignored as in Python (a line on stderr in production; an UncaughtException bug in model
  // mode). A callback that captures its own future keeps the state alive until it is done.
  void add_done_callback(std::function<void(Future<T>&)> fn, Location where = Location::current()) {
    check(where);
    state_->add_callback(state_, std::move(fn), where);
  }

  friend bool operator==(const Future& a, const Future& b) noexcept = default;

  // For std::hash: the identity of the shared state.
  const void* id() const noexcept { return state_.get(); }

 private:
  friend struct detail::FutureAccess;
  friend class Promise<T>;
  friend class detail::FutureState<T>;

  explicit Future(std::shared_ptr<detail::FutureState<T>> s) noexcept : state_(std::move(s)) {}

  void check(const Location& where) const {
    if (state_ == nullptr) [[unlikely]] {
      throw UsageError("weft::Future without a state (default-constructed or moved-from) used at " +
                       std::string(where.file) + ":" + std::to_string(where.line));
    }
  }
  // After done: the status and error are final and visible (Event set -> wait).
  void throw_if_failed() const {
    if (state_->status_now(Location{}) == detail::FutureStatus::Cancelled) throw CancelledError();
    if (state_->error) std::rethrow_exception(state_->error);
  }

  std::shared_ptr<detail::FutureState<T>> state_;
};

// The producer side of a Future, for code that computes a result itself (custom executors,
// tests). Copyable handle. The future may be cancelled while the promise is pending (or until
// set_running()); setting it afterwards is then ignored. A promise that is never set leaves its
// future pending forever (in model mode a get() on it shows up as a Deadlock).
template <class T>
class Promise {
  static_assert(!std::is_reference_v<T>, "weft::Promise<T&> is not supported: use a value type");

 public:
  explicit Promise(Location where = Location::current())
      : state_(std::make_shared<detail::FutureState<T>>(where)) {}

  Future<T> get_future() const noexcept { return Future<T>(state_); }

  // Python's set_running_or_notify_cancel(): false if the future was cancelled (then do not
  // compute the result); otherwise the future is running and can no longer be cancelled.
  bool set_running(Location where = Location::current()) { return state_->start(where); }

  // Completes the future. False if it was cancelled (nothing is stored); UsageError if it was
  // already set.
  template <class... A>
  bool set_value(A&&... value) {
    return complete(
        [&] {
          if constexpr (!std::is_void_v<T>) state_->value.emplace(std::forward<A>(value)...);
        },
        Location{});
  }
  bool set_exception(std::exception_ptr e, Location where = Location::current()) {
    if (!e) throw UsageError("weft::Promise::set_exception: null exception_ptr");
    return complete([&] { state_->error = std::move(e); }, where);
  }

 private:
  template <class Store>
  bool complete(Store store, const Location& where) {
    using Base = detail::FutureStateBase;
    if (state_->prod) {
      Base::check_production(where);
      std::uint32_t found = 0;
      if (!state_->claim((1u << Base::kPending) | (1u << Base::kRunning), Base::kCompleting,
                         found)) {
        if (found == Base::kCancelling || found == Base::kCancelled) return false;
        throw UsageError("weft::Promise: the future is already set");
      }
      try {
        store();
      } catch (...) {
        state_->unclaim(found);  // nothing was stored: back to Pending / Running
        throw;
      }
      state_->publish(Base::kFinished, state_);
      return true;
    }
    std::unique_lock<Mutex> lock(state_->m(), where);
    if (state_->status == detail::FutureStatus::Cancelled) return false;
    if (state_->status == detail::FutureStatus::Finished) {
      throw UsageError("weft::Promise: the future is already set");
    }
    store();
    state_->finish(state_, lock, where);
    return true;
  }

  std::shared_ptr<detail::FutureState<T>> state_;
};

namespace detail {
template <class T>
void FutureState<T>::run_callbacks(const std::shared_ptr<FutureState>& self,
                                   std::vector<Callback>& cbs) {
  if (cbs.empty()) return;
  Future<T> f(self);
  for (Callback& cb : cbs) {
    std::string failure;
    try {
      cb(f);
    } catch (...) {
      rethrow_if_unwinding();
      failure = describe_current_exception();
    }
    // Reported outside the handler: a model fiber must not switch inside a catch block.
    if (!failure.empty()) report_callback_failure(failure);
  }
}
}  // namespace detail

}  // namespace weft

template <class T>
struct std::hash<weft::Future<T>> {
  std::size_t operator()(const weft::Future<T>& f) const noexcept {
    return std::hash<const void*>()(f.id());
  }
};
