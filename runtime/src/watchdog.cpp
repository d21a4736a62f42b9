#include <weft/detail/watchdog.hpp>

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <utility>

#include <weft/detail/platform.hpp>

#include "execution.hpp"
#include "trace_format.hpp"

namespace weft::detail {

StallWatch::StallWatch(double seconds, std::function<void()> on_stall, std::uint64_t quick_after,
                       double quick_seconds)
    : seconds_(seconds),
      on_stall_(std::move(on_stall)),
      start_(progress_ticks.load(std::memory_order_relaxed)),
      quick_after_(quick_after),
      quick_seconds_(quick_seconds) {
  if (seconds_ > 0) thread_ = std::thread([this] { watch(); });
}

StallWatch::~StallWatch() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_one();
  thread_.join();
}

void StallWatch::watch() {
  using Clock = std::chrono::steady_clock;
  // A tenth of the limit between looks (at most a quarter second): a stall is seen at most 10%
  // late, and a watch that ends early costs its owner no more than one look to join.
  const auto look = std::chrono::duration<double>(std::min(seconds_ / 10, 0.25));
  std::uint64_t seen = progress_ticks.load(std::memory_order_relaxed);
  Clock::time_point since = Clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stop_cv_.wait_for(lock, look, [this] { return stop_; })) return;
    const std::uint64_t now_ticks = progress_ticks.load(std::memory_order_relaxed);
    const Clock::time_point now = Clock::now();
    if (now_ticks != seen || held_.load(std::memory_order_relaxed)) {
      seen = now_ticks;
      since = now;
      continue;
    }
    const bool quick = quick_seconds_ > 0 && now_ticks - start_ >= quick_after_;
    const std::chrono::duration<double> still = now - since;
    if (still.count() >= (quick ? quick_seconds_ : seconds_)) {
      lock.unlock();
      on_stall_();
      return;
    }
  }
}

namespace {

std::function<void(const PartialRun&)>* g_report = nullptr;
pthread_t g_model_thread;
std::atomic<bool> g_stalled{false};
constexpr int kFatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTERM};

// "main is about to store step (file.cpp:36 (f))": what the threads that did not run last are
// doing, since the one that did may be stuck on something one of them holds.
std::string others_of(const Execution& ex) {
  std::string out;
  const std::vector<ThreadState>& threads = ex.threads();
  for (std::size_t id = 0; id < threads.size(); ++id) {
    const ThreadState& t = threads[id];
    if (id == ex.current_thread() || t.status == ThreadStatus::Finished) continue;
    std::string op(to_string(t.pending_kind));
    if (t.pending_object != kNoObject) op += " " + ex.object_name(t.pending_object);
    out += "    " + ex.thread_name(static_cast<ThreadId>(id)) +
           (t.status == ThreadStatus::Blocked ? " is blocked in " : " is about to ") + op + " (" +
           location_text(t.pending_where) + ")\n";
  }
  return out;
}

void fatal_handler(int sig) {
  PartialRun run;
  run.hung = g_stalled.load();
  run.signal = sig;
  if (Execution* ex = current(); ex != nullptr && ex->recording()) {
    run.thread = ex->thread_name(ex->current_thread());
    run.trace = format_trace(ex->recorded_trace(), *ex, ex->internal_steps());
    run.steps = format_steps(ex->recorded_trace(), *ex, ex->internal_steps());
    run.others = others_of(*ex);
  }
  if (g_report != nullptr) (*g_report)(run);
  if (run.hung) ::_exit(kHungExit);
  // SA_RESETHAND put the default action back: the signal ends the process as it would have.
  ::raise(sig);
}

}  // namespace

void on_fatal_signal(std::function<void(const PartialRun&)> report) {
  // Leaked on purpose: the handler may run at any time until the process ends.
  g_report = new std::function<void(const PartialRun&)>(std::move(report));
  g_model_thread = ::pthread_self();
  constexpr std::size_t kAltStack = 1 << 20;  // symbolising needs room
  void* stack =
      ::mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack != MAP_FAILED) {
    stack_t ss{};
    ss.ss_sp = stack;
    ss.ss_size = kAltStack;
    ::sigaltstack(&ss, nullptr);
  }
  struct sigaction sa {};
  sa.sa_handler = fatal_handler;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  ::sigfillset(&sa.sa_mask);  // one report: no other fatal signal interrupts it
  for (const int sig : kFatal) ::sigaction(sig, &sa, nullptr);
}

std::function<void()> interrupt_model_thread() {
  const pthread_t model = ::pthread_self();
  return [model] {
    g_stalled = true;
    ::pthread_kill(model, SIGTERM);
  };
}

std::string hang_hint() {
  return "a thread is blocked on a primitive weft does not control (std::mutex, "
         "std::condition_variable, a real sleep, blocking I/O) or loops without a weft operation: "
         "use weft's types there (they are the real ones outside exploration)";
}

std::string describe_partial_run(const PartialRun& run, double limit_s) {
  std::string out = run.trace;
  if (run.thread.empty()) {
    out += "  (no trace: the run was not in a model thread when it ";
    out += run.hung ? "stopped)\n" : "crashed)\n";
    return out;
  }
  if (run.hung) {
    out += "  " + run.thread + " ran last and reached no weft operation for " +
           format_seconds(limit_s) + " s after its last step above: " + hang_hint() + "\n";
  } else {
    out += "  " + run.thread + " ran last: the process received signal " +
           std::to_string(run.signal) + " (" + ::strsignal(run.signal) +
           ") in its code after its last step above\n";
  }
  if (!run.others.empty()) out += "  the other threads:\n" + run.others;
  return out;
}

}  // namespace weft::detail
