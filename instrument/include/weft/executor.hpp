// weft/executor.hpp — ThreadPoolExecutor (Python concurrent.futures.ThreadPoolExecutor).
//
// Workers are weft::Thread: OS threads in production, model threads inside explore(), so a
// pool-based program is explored like any other (races between tasks, lost updates, a task
// waiting for a future that can never complete -> Deadlock).
//
// Workers start on demand, as in Python: a submit that finds no idle worker starts a new one,
// up to max_workers (in production, so does a worker that finds a backlog); once started a
// worker lives until shutdown. Tasks start in submission order (one FIFO queue).
//
// Production path, per task: one allocation (the future's state with the callable inside it),
// no lock and usually no system call. The queue is Vyukov's intrusive MPSC queue: a submit is
// one atomic exchange; workers take turns popping through a spin lock held for a few
// instructions. At most one idle worker spins (polls the queue for a while, the budget adapting
// as adapt_spin says, then sleeps); a submit wakes a sleeping worker only when no worker spins,
// and a worker that pops a task while more are queued wakes (or starts) another, so a burst
// gets every worker while a trickle keeps one spinning and the rest asleep. Sleeping and waking
// use a mutex and condition variable, taken only on those transitions. The model path (below,
// on weft primitives) is unchanged.
//
// In model traces the pool's lock is "ThreadPoolExecutor@file:line" (of the constructor), the
// condition idle workers wait on "ThreadPoolExecutor@file:line.work", its workers are named
// "<prefix>_<n>" (prefix "pool" by default) and each future's objects "Future@file:line" of its
// submit(f) (or map) call. submit(f, args...) cannot take a defaulted Location after its
// arguments: those futures are named plain "Future".
//
// The destructor is shutdown(true). In model mode, when it runs because an exception is leaving
// the pool's scope, it avoids scheduling points where it can: a model thread suspended while an
// exception propagates cannot be unwound if the schedule is abandoned meanwhile (C++ calls
// std::terminate when an exception leaves a destructor during unwinding). So it shuts the pool
// down without a scheduling point; if no task is queued or running it returns at once;
// otherwise it waits for the workers to finish (they must: their tasks may use objects of the
// scope being left), with a deadline that only expires when no other thread can ever run again.
// That is the deadlock production would hang in (a task waits for something the code after the
// exception would have done); it is reported as a Deadlock bug. What remains: a schedule
// abandoned for another bug (a failed WEFT_ASSERT in a task...) during that wait still
// terminates the process; the fix for that belongs in the fiber runtime.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <weft/condvar.hpp>
#include <weft/future.hpp>
#include <weft/locks.hpp>
#include <weft/mutex.hpp>
#include <weft/thread.hpp>

namespace weft {

namespace detail {

// Everything a pool's workers use, shared with them so that it outlives an executor whose
// destructor did not wait (see above).
// What a pool is called in traces and reports.
struct PoolKind {
  const char* name;
};

class ThreadPoolCore {
 public:
  // `kind`: what traces and reports call the pool ("ThreadPoolExecutor", or
  // "ProcessPoolExecutor" for the model of a process pool).
  ThreadPoolCore(std::size_t max_workers, std::string_view prefix, const char* kind,
                 const Location& where)
      : prod_(current() == nullptr),
        kind_(kind),
        max_workers_(max_workers),
        prefix_(prefix),
        m_(where),
        join_m_(where),
        signal_(ObjectKind::CondVar, {}, where),
        quiescent_(ObjectKind::Other, {}, where) {
    if (current() != nullptr) {
      name_ = site_name(kind, where);
      m_.set_name(name_);
      join_m_.set_name(name_ + ".join");
      signal_.rename(name_ + ".work");
      quiescent_.rename(name_ + ".workers");
      mark_internal(m_);
      mark_internal(join_m_);
      signal_.mark_internal();
      quiescent_.mark_internal();
    }
  }
  ThreadPoolCore(const ThreadPoolCore&) = delete;
  ThreadPoolCore& operator=(const ThreadPoolCore&) = delete;
  ~ThreadPoolCore() {
    // Only the pool's owners are left. Tasks still queued here belong to an abandoned model
    // schedule (its workers were unwound): drop them, or each would keep itself alive. Workers
    // a non-waiting destructor left running have finished; they are detached, not joined.
    while (head_ != nullptr) pop_locked();
    if (prod_) {
      while (FutureStateBase* raw = pop_production()) raw->queued.reset();
    }
    if (current() != nullptr) {
      for (Thread& t : workers_) {
        if (t.joinable()) t.detach();
      }
    }
  }

  std::size_t max_workers() const noexcept { return max_workers_; }

  void enqueue(std::shared_ptr<FutureStateBase> item, const std::shared_ptr<ThreadPoolCore>& self,
               const Location& where) {
    if (prod_) {
      enqueue_production(std::move(item), self, where);
      return;
    }
    std::unique_lock<Mutex> lock(m_, where);
    if (shutdown_) {
      throw std::runtime_error("weft::" + std::string(kind_) + ": submit after shutdown");
    }
    FutureStateBase* raw = item.get();
    raw->queued = std::move(item);
    if (tail_ != nullptr) {
      tail_->next = raw;
    } else {
      head_ = raw;
    }
    tail_ = raw;
    if (sleeping_ > signalled_) {
      // An idle worker takes it: wake one (outside the lock).
      ++signalled_;
      lock.unlock();
      notify(false, where);
      return;
    }
    // Python: no idle worker and room for one more -> start it. Thread creation happens under
    // the lock so that shutdown() sees every worker; it happens max_workers times at most.
    if (workers_.size() < max_workers_) {
      const std::size_t n = workers_.size();
      ++alive_;
      try {
        workers_.emplace_back([core = self, n] { core->work(n, core); }, where);
      } catch (...) {
        --alive_;  // no scheduling point in here (a model fiber must not switch in a handler)
        throw;
      }
    }
  }

  void shutdown(bool wait, bool cancel_futures, const Location& where) {
    if (prod_) {
      shutdown_production(wait, cancel_futures, where);
      return;
    }
    FutureStateBase* cancelled = nullptr;
    {
      std::lock_guard<Mutex> lock(m_, where);
      shutdown_ = true;
      if (cancel_futures) {
        cancelled = head_;  // the whole queue, still linked; its references move below
        head_ = tail_ = nullptr;
      }
    }
    notify(true, where);
    while (cancelled != nullptr) {
      FutureStateBase* item = cancelled;
      cancelled = item->next;
      std::shared_ptr<FutureStateBase> owned = std::move(item->queued);
      item->next = nullptr;
      // Not started (it was still queued): the cancel succeeds, unless it was cancelled before.
      owned->cancel(owned, where);
    }
    if (wait) {
      // One joiner at a time; a second shutdown(true) waits for the first. No submit adds a
      // worker any more (shutdown_ was set under m_ above).
      std::lock_guard<Mutex> lock(join_m_, where);
      for (Thread& t : workers_) {
        if (t.joinable()) t.join(where);
      }
    }
  }

  // Model mode, from a destructor an exception is passing through (see the top of this file).
  // Shuts down with no scheduling point (so without taking m_: the model runs one thread at a
  // time, and a worker rechecks shutdown_ after its last scheduling point before it sleeps).
  void shutdown_during_exception(Execution& ex, const Location& where) {
    shutdown_ = true;
    sync(ex, signal_.id(), Sync::Release);
    wake_all(ex, signal_.id());
    if (head_ == nullptr && running_ == 0) {
      // Every task has run; the idle workers exit by themselves and touch nothing but this
      // core. Their tasks happen before this point (a worker releases into quiescent_ after
      // each task, under m_, before running_ says it is done), as a join would have made them.
      sync(ex, quiescent_.id(), Sync::Acquire);
      return;
    }
    point(ex, OpKind::Join, quiescent_.id(), where);
    const std::int64_t never = deadline_after(ex, std::chrono::hours::max());
    while (alive_ > 0) {
      // Time only reaches `never` when no other thread can run: the workers are stuck for good.
      if (block_until(ex, quiescent_.id(), never) && alive_ > 0) {
        if (!unwinding(ex)) {
          fail_later(ex, BugKind::Deadlock,
                     "deadlock: an exception left the scope of " + name_ + " while " +
                         std::to_string(alive_) +
                         " of its workers can never finish their tasks (the destructor would "
                         "wait for them forever)");
        }
        return;
      }
      if (unwinding(ex)) return;
    }
    sync(ex, quiescent_.id(), Sync::Acquire);
  }

 private:
  std::shared_ptr<FutureStateBase> pop_locked() {
    FutureStateBase* raw = head_;
    head_ = raw->next;
    if (head_ == nullptr) tail_ = nullptr;
    raw->next = nullptr;
    return std::move(raw->queued);
  }

  // A worker: runs queued tasks until shutdown and an empty queue.
  void work(std::size_t n, const std::shared_ptr<ThreadPoolCore>& self) {
    this_thread::set_name(prefix_ + "_" + std::to_string(n));
    if (prod_) {
      work_production(self);
      return;
    }
    std::unique_lock lock(m_);
    for (;;) {
      if (head_ != nullptr) {
        std::shared_ptr<FutureStateBase> item = pop_locked();
        ++running_;
        lock.unlock();
        item->run(item);
        item.reset();
        lock.lock();
        --running_;
        // Its tasks -> a destructor waiting in shutdown_during_exception (only it acquires).
        if (Execution* ex = current(); ex != nullptr) sync(*ex, quiescent_.id(), Sync::Release);
        continue;
      }
      if (shutdown_) break;
      if (!sleep(lock)) return;  // the schedule is being abandoned
    }
    --alive_;
    if (Execution* ex = current(); ex != nullptr) {
      // Like a thread's end for join: everything this worker did -> a destructor waiting above.
      sync(*ex, quiescent_.id(), Sync::Release);
      wake_all(*ex, quiescent_.id());
    }
  }

  // Waits for a signal with `lock` (on m_) held; returns with it held. The caller rechecks the
  // queue. A wake-up nobody signalled (spurious, notify_all) may consume another's signal:
  // harmless, every woken worker rechecks the queue, and signalled_ <= sleeping_ always holds.
  // False: the model schedule is being abandoned; the worker must stop.
  bool sleep(std::unique_lock<Mutex>& lock, Location where = Location::current()) {
    Execution& ex = model(signal_.execution(), kind_, where);
    if (unwinding(ex)) return false;
    point(ex, OpKind::Wait, signal_.id(), where);
    if (shutdown_) return true;  // shut down quietly during the scheduling point
    ++sleeping_;
    lock.unlock();  // releasing the lock and blocking: no scheduling point in between
    const bool woken = !block_until(ex, signal_.id(), -1);
    if (woken) sync(ex, signal_.id(), Sync::Acquire);
    lock.lock();
    --sleeping_;
    if (signalled_ > 0) --signalled_;
    return !unwinding(ex);
  }

  void notify(bool all, const Location& where) {
    Execution& ex = model(signal_.execution(), kind_, where);
    point(ex, all ? OpKind::NotifyAll : OpKind::Notify, signal_.id(), where);
    sync(ex, signal_.id(), Sync::Release);
    if (all) {
      wake_all(ex, signal_.id());
    } else {
      wake_one(ex, signal_.id());
    }
  }

  // ---- Production ----------------------------------------------------------------------------

  static constexpr std::uint64_t kClosed = std::uint64_t{1} << 63;   // gate_: shut down
  static constexpr std::uint64_t kSpinner = std::uint64_t{1} << 32;  // idle_: a worker spins
  static constexpr std::uint64_t kSleepers = kSpinner - 1;           // idle_: unclaimed sleepers
  // Polls of an idle worker before it sleeps (each a load and a pause: 50-80 microseconds in
  // all on the benchmark machine). Long enough to catch the next task of a submit/get loop, short
  // enough not to keep a core busy for an idle pool.
  static constexpr int kSpinPolls = 2000;
  static constexpr int kMinSpinPolls = 128;

  void enqueue_production(std::shared_ptr<FutureStateBase> item,
                          const std::shared_ptr<ThreadPoolCore>& self, const Location& where) {
    check_production(where);
    // Submits in flight are counted, so that shutdown can wait for them: after it, no task can
    // appear that no worker would run.
    if ((gate_.fetch_add(1, std::memory_order_seq_cst) & kClosed) != 0) {
      gate_.fetch_sub(1, std::memory_order_release);
      throw std::runtime_error("weft::ThreadPoolExecutor: submit after shutdown");
    }
    struct Leave {
      std::atomic<std::uint64_t>& gate;
      ~Leave() { gate.fetch_sub(1, std::memory_order_release); }
    } leave{gate_};
    FutureStateBase* raw = item.get();
    raw->queued = std::move(item);
    push_production(raw);
    // Dekker with sleep_production: push (seq_cst exchange), then read idle_; a sleeper
    // registers in idle_, then reads the queue. One of the two sees the other.
    const std::uint64_t idle = idle_.load(std::memory_order_seq_cst);
    if ((idle & kSpinner) == 0) wake_or_start(idle, self, where);
  }

  // No worker spins: wakes a sleeping one not yet claimed by another submit, else starts a new
  // one (Python: a submit that finds no idle worker starts one, up to max_workers).
  void wake_or_start(std::uint64_t idle, const std::shared_ptr<ThreadPoolCore>& self,
                     const Location& where) {
    while ((idle & kSleepers) != 0) {
      if (idle_.compare_exchange_weak(idle, idle - 1, std::memory_order_seq_cst)) {
        {
          std::lock_guard lock(sleep_m_);
          ++tokens_;
        }
        sleep_cv_.notify_one();
        return;
      }
      if ((idle & kSpinner) != 0) return;
    }
    if (started_.load(std::memory_order_relaxed) < max_workers_) start_worker(self, where);
  }

  void start_worker(const std::shared_ptr<ThreadPoolCore>& self, const Location& where) {
    std::lock_guard<Mutex> lock(m_, where);
    if (shutdown_ || workers_.size() >= max_workers_) return;
    const std::size_t n = workers_.size();
    workers_.emplace_back([core = self, n] { core->work(n, core); }, where);
    started_.store(workers_.size(), std::memory_order_relaxed);
  }

  void push_production(QueueLink* node) noexcept {
    node->qnext.store(nullptr, std::memory_order_relaxed);
    QueueLink* prev = ptail_.exchange(node, std::memory_order_seq_cst);
    // Between the exchange and this store the queue looks empty from the head: a popping
    // worker then sees ptail_ != head and retries (see work_production).
    prev->qnext.store(node, std::memory_order_release);
  }

  // With pop_lock_ held. Null: empty, or a submit is between its two steps.
  FutureStateBase* pop_production() noexcept {
    QueueLink* head = head_p_;
    QueueLink* next = head->qnext.load(std::memory_order_acquire);
    if (head == &stub_) {
      if (next == nullptr) return nullptr;
      head_p_ = next;
      head = next;
      next = next->qnext.load(std::memory_order_acquire);
    }
    if (next == nullptr) {
      if (head != ptail_.load(std::memory_order_acquire)) return nullptr;
      // `head` is the last node: put the stub behind it, so that it can be taken.
      push_production(&stub_);
      next = head->qnext.load(std::memory_order_acquire);
      if (next == nullptr) return nullptr;
    }
    head_p_ = next;
    return static_cast<FutureStateBase*>(head);
  }
  // With pop_lock_ held: anything queued, or a submit between its two steps.
  bool nonempty_locked() const noexcept {
    return head_p_ != &stub_ || ptail_.load(std::memory_order_seq_cst) != &stub_;
  }

  void lock_pop() noexcept {
    while (pop_lock_.exchange(true, std::memory_order_acquire)) {
      for (int i = 0; pop_lock_.load(std::memory_order_relaxed); ++i) backoff(i);
    }
  }
  void unlock_pop() noexcept { pop_lock_.store(false, std::memory_order_release); }

  void work_production(const std::shared_ptr<ThreadPoolCore>& self) {
    bool spinning = false;
    int polls = 0;
    for (;;) {
      lock_pop();
      FutureStateBase* raw = pop_production();
      const bool more = head_p_ != &stub_ || stub_.qnext.load(std::memory_order_relaxed) != nullptr;
      unlock_pop();
      if (raw != nullptr) {
        if (spinning) {
          spinning = false;
          idle_.fetch_sub(kSpinner, std::memory_order_seq_cst);
          adapt_spin(polls);
        }
        if (more) {
          // A backlog: get another worker going, unless one is already looking for work.
          const std::uint64_t idle = idle_.load(std::memory_order_seq_cst);
          if ((idle & kSpinner) == 0) wake_or_start(idle, self, Location{});
        }
        std::shared_ptr<FutureStateBase> item = std::move(raw->queued);
        item->run(item);
        continue;
      }
      if (more) {
        std::this_thread::yield();  // a submit is between its exchange and its link
        continue;
      }
      if (drained_for_good()) break;
      if (!spinning) {
        std::uint64_t idle = idle_.load(std::memory_order_relaxed);
        if ((idle & kSpinner) == 0 &&
            idle_.compare_exchange_strong(idle, idle | kSpinner, std::memory_order_seq_cst)) {
          spinning = true;
          polls = 0;
        } else {
          sleep_production();
        }
        continue;
      }
      // Spinning: poll the tail (read-shared while nothing changes) until a submit moves it.
      // Every round counts, also one that found a submit between its two steps.
      const int budget = spin_budget_.load(std::memory_order_relaxed);
      do {
        spin_pause(++polls);
      } while (polls < budget && ptail_.load(std::memory_order_acquire) == &stub_);
      if (polls < budget) continue;
      spinning = false;
      idle_.fetch_sub(kSpinner, std::memory_order_seq_cst);
      // Gave up: the next spin starts from the full budget again. Without this, budgets halved
      // on a busy machine could stay small for good: a spinner that gives up before the next
      // submit never finds work by spinning, so nothing would double them.
      spin_budget_.store(kSpinPolls, std::memory_order_relaxed);
      sleep_production();
    }
    if (spinning) idle_.fetch_sub(kSpinner, std::memory_order_seq_cst);
  }

  // The spinner found work after `polls` polls. Before its first yield: spinning pays, double
  // the budget. After: the submitter was probably waiting for this core (more runnable threads
  // than cores), halve it; below kYieldEvery a spin never yields. A spin that finds nothing
  // resets the budget (work_production).
  void adapt_spin(int polls) noexcept {
    const int budget = spin_budget_.load(std::memory_order_relaxed);
    spin_budget_.store(polls < kYieldEvery ? std::min(kSpinPolls, budget * 2)
                                           : std::max(kMinSpinPolls, budget / 2),
                       std::memory_order_relaxed);
  }

  // Registers as a sleeper, then (Dekker with enqueue_production) checks the queue once more;
  // sleeps until a submit or a worker hands it a token, or the pool closes.
  void sleep_production() {
    std::unique_lock lock(sleep_m_);
    if (closing_) return;
    idle_.fetch_add(1, std::memory_order_seq_cst);
    lock_pop();
    const bool work = nonempty_locked();
    unlock_pop();
    if (work) {
      std::uint64_t idle = idle_.load(std::memory_order_seq_cst);
      while ((idle & kSleepers) != 0) {
        if (idle_.compare_exchange_weak(idle, idle - 1, std::memory_order_seq_cst)) return;
      }
      // A waker claimed this registration first: its token is on the way (it needs sleep_m_).
    }
    sleep_cv_.wait(lock, [&] { return tokens_ > 0 || closing_; });
    if (tokens_ > 0) --tokens_;
  }

  // Closed, no submit in flight, nothing queued: nothing will ever come.
  bool drained_for_good() noexcept {
    if (gate_.load(std::memory_order_acquire) != kClosed) return false;
    lock_pop();
    const bool work = nonempty_locked();
    unlock_pop();
    return !work;
  }

  void shutdown_production(bool wait, bool cancel_futures, const Location& where) {
    check_production(where);
    gate_.fetch_or(kClosed, std::memory_order_seq_cst);
    // Submits in flight take a few instructions to finish (or to see kClosed and back out).
    for (int i = 0; (gate_.load(std::memory_order_acquire) & ~kClosed) != 0; ++i) backoff(i);
    {
      std::lock_guard<Mutex> lock(m_, where);
      shutdown_ = true;  // no worker starts any more: workers_ is final
    }
    {
      std::lock_guard lock(sleep_m_);
      closing_ = true;
    }
    sleep_cv_.notify_all();
    if (cancel_futures) {
      // No submit is in flight: the queue is consistent, and pops see all of it.
      std::vector<std::shared_ptr<FutureStateBase>> taken;
      lock_pop();
      while (FutureStateBase* raw = pop_production()) taken.push_back(std::move(raw->queued));
      unlock_pop();
      // Not started (they were still queued): the cancels succeed, unless cancelled before.
      for (std::shared_ptr<FutureStateBase>& owned : taken) owned->cancel(owned, where);
    }
    if (wait) {
      std::lock_guard<Mutex> lock(join_m_, where);
      for (Thread& t : workers_) {
        if (t.joinable()) t.join(where);
      }
    }
  }

  static void check_production(const Location& where) {
    if (current() != nullptr) [[unlikely]] {
      throw_mode_mismatch_at("ThreadPoolExecutor", where.file, where.line, where.function);
    }
  }

  // Production state. Cache lines: what submits write; what poppers write; the stub (written by
  // a submit that finds the queue empty); what idle workers write.
  alignas(64) std::atomic<QueueLink*> ptail_{&stub_};
  std::atomic<std::uint64_t> gate_{0};  // kClosed | submits in flight
  alignas(64) std::atomic<bool> pop_lock_{false};
  QueueLink* head_p_ = &stub_;  // guarded by pop_lock_
  alignas(64) QueueLink stub_;
  alignas(64) std::atomic<std::uint64_t> idle_{0};  // kSpinner | unclaimed sleepers
  std::atomic<std::size_t> started_{0};             // workers_.size(), readable without m_
  std::atomic<int> spin_budget_{kSpinPolls};        // polls before sleeping (adapt_spin)
  std::mutex sleep_m_;
  std::condition_variable sleep_cv_;
  std::size_t tokens_ = 0;  // wake-ups handed out, not yet taken (guarded by sleep_m_)
  bool closing_ = false;    // guarded by sleep_m_

  // ---- Both modes (the model path: every member below) -------------------------------------

  const bool prod_;  // created outside explore(): the production path above
  const char* const kind_;
  const std::size_t max_workers_;
  const std::string prefix_;
  Mutex m_;  // model: guards the queue, the counters, shutdown_ and workers_ (until shutdown);
             // production: shutdown_ and workers_
  Mutex join_m_;
  ModelObject signal_;     // model: what idle workers block on
  ModelObject quiescent_;  // model: workers idle or gone (shutdown_during_exception)

  std::string name_;  // model: for messages
  FutureStateBase* head_ = nullptr;
  FutureStateBase* tail_ = nullptr;
  std::size_t sleeping_ = 0;   // workers waiting for a signal
  std::size_t signalled_ = 0;  // signals sent to them, not yet consumed
  std::size_t running_ = 0;    // tasks being run
  std::size_t alive_ = 0;      // workers started and not yet exited
  bool shutdown_ = false;
  std::vector<Thread> workers_;
};

}  // namespace detail

class ThreadPoolExecutor {
 public:
  // max_workers 0: std::thread::hardware_concurrency() (at least 1). In model mode pass an
  // explicit number: the default depends on the machine, and so would the schedules.
  explicit ThreadPoolExecutor(std::size_t max_workers = 0, Location where = Location::current())
      : ThreadPoolExecutor(max_workers, "pool", where) {}
  // Workers are named "<thread_name_prefix>_<n>", n from 0 (Python's thread_name_prefix).
  ThreadPoolExecutor(std::size_t max_workers, std::string_view thread_name_prefix,
                     Location where = Location::current())
      : ThreadPoolExecutor(detail::PoolKind{"ThreadPoolExecutor"}, max_workers, thread_name_prefix,
                           where) {}
  // For the model of another kind of pool (ProcessPoolExecutor), named so in traces.
  ThreadPoolExecutor(detail::PoolKind kind, std::size_t max_workers,
                     std::string_view thread_name_prefix, Location where)
      : core_(std::make_shared<detail::ThreadPoolCore>(
            max_workers != 0 ? max_workers : default_workers(), thread_name_prefix, kind.name,
            where)),
        uncaught_(std::uncaught_exceptions()) {}
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // shutdown(true); in model mode, while an exception leaves the pool's scope, the variant
  // described at the top of this file. noexcept(false): a model schedule abandoned while this
  // destructor waits unwinds the thread through it.
  ~ThreadPoolExecutor() noexcept(false) {
    if (detail::Execution* ex = detail::current();
        ex != nullptr && !detail::unwinding(*ex) && std::uncaught_exceptions() > uncaught_) {
      core_->shutdown_during_exception(*ex, Location::current());
      return;
    }
    core_->shutdown(true, false, Location::current());
  }

  // Schedules f(args...) (decay-copied, as std::thread does, and invoked as rvalues); the
  // future holds its result or exception. A reference result is stored as a value. Throws
  // std::runtime_error after shutdown().
  template <class F>
  requires std::is_invocable_v<std::decay_t<F>>
  auto submit(F&& f, Location where = Location::current())
      -> Future<std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>>>> {
    using R = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>>>;
    return push<R>(std::forward<F>(f), where);
  }
  template <class F, class A0, class... A>
  requires(!std::is_same_v<std::remove_cvref_t<A0>, Location>) auto submit(F&& f, A0&& a0,
                                                                           A&&... args)
      -> Future<std::remove_cvref_t<
          std::invoke_result_t<std::decay_t<F>, std::decay_t<A0>, std::decay_t<A>...>>> {
    using R = std::remove_cvref_t<
        std::invoke_result_t<std::decay_t<F>, std::decay_t<A0>, std::decay_t<A>...>>;
    return push<R>(
        [fn = std::decay_t<F>(std::forward<F>(f)),
         tup = std::make_tuple(std::decay_t<A0>(std::forward<A0>(a0)),
                               std::decay_t<A>(std::forward<A>(args))...)]() mutable -> R {
          return std::apply(
              [&](auto&... a) -> R { return std::invoke(std::move(fn), std::move(a)...); }, tup);
        },
        Location{});
  }

  // Python's map(fn, iterable): f(x) for every element x (decay-copied) of `range`, run on the
  // pool; returns the results in input order. If calls fail, rethrows the exception of the
  // first failed one in input order, after cancelling the calls not started yet. A void f
  // makes map return void (after every call finished).
  template <class F, std::ranges::input_range Range>
  auto map(F&& f, Range&& range, Location where = Location::current()) {
    using Item = std::decay_t<std::ranges::range_reference_t<Range>>;
    using Fn = std::decay_t<F>;
    using R = std::remove_cvref_t<std::invoke_result_t<Fn&, Item>>;
    auto fn = std::make_shared<Fn>(std::forward<F>(f));  // shared by the calls, not copied
    std::vector<Future<R>> futures;
    if constexpr (std::ranges::sized_range<Range>) futures.reserve(std::ranges::size(range));
    for (auto&& x : range) {
      futures.push_back(push<R>([fn, item = Item(std::forward<decltype(x)>(x))]() mutable
                                -> R { return std::invoke(*fn, std::move(item)); },
                                where));
    }
    // Collect in order; on the first failure cancel what has not started and rethrow. The
    // exception is rethrown outside the handler (no scheduling point inside a catch block).
    std::exception_ptr failure;
    std::conditional_t<std::is_void_v<R>, bool, std::vector<R>> results{};
    if constexpr (!std::is_void_v<R>) results.reserve(futures.size());
    for (Future<R>& fu : futures) {
      try {
        if constexpr (std::is_void_v<R>) {
          detail::FutureAccess::take(fu, where);
        } else {
          results.push_back(detail::FutureAccess::take(fu, where));
        }
      } catch (...) {
        detail::rethrow_if_unwinding();
        failure = std::current_exception();
      }
      if (failure) break;
    }
    if (failure) {
      for (Future<R>& fu : futures) fu.cancel(where);
      std::rethrow_exception(failure);
    }
    if constexpr (!std::is_void_v<R>) return results;
  }

  // Stops accepting tasks (submit then throws std::runtime_error). cancel_futures: cancels the
  // queued tasks that have not started (their callbacks run in this thread). wait: returns
  // after every queued task ran and every worker exited; otherwise at once — the workers still
  // run what is queued, and a later shutdown(true) or the destructor joins them. Idempotent.
  void shutdown(bool wait = true, bool cancel_futures = false,
                Location where = Location::current()) {
    core_->shutdown(wait, cancel_futures, where);
  }

  std::size_t max_workers() const noexcept { return core_->max_workers(); }

 private:
  static std::size_t default_workers() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }

  template <class R, class G>
  Future<R> push(G&& g, const Location& where) {
    auto state = std::make_shared<detail::TaskState<R, std::decay_t<G>>>(where, std::forward<G>(g));
    core_->enqueue(state, core_, where);
    return detail::FutureAccess::make<R>(std::move(state));
  }

  std::shared_ptr<detail::ThreadPoolCore> core_;
  int uncaught_;  // std::uncaught_exceptions() at construction
};

}  // namespace weft
