// The production ProcessPoolExecutor: worker processes fed over stream sockets by the
// submitting threads and one I/O thread.
//
// Costs that dominate on a virtual machine are system calls and cross-core wake-ups, so:
// * a task for an idle worker is sent at once by the submitting thread (no hop through the
//   I/O thread); the others wait in `pending_` and go out in one write per worker when results
//   come back (the I/O thread is awake then anyway);
// * several tasks per worker are in its socket at a time, so a worker runs task after task
//   without waiting, and writes its results in batches. How many: about kAheadNs of work by the
//   worker's measured time per task, 1 to kInFlight. Short tasks go 64 ahead (the round trip
//   is amortised); long ones one at a time, so that a short task submitted behind a long one
//   goes to a worker that is free instead of waiting behind it (Python's pool queues about one
//   task ahead per worker, for the same reason);
// * the I/O thread sleeps in epoll on the sockets (results, room to write), the workers' pidfds
//   (death) and an eventfd (shutdown), and reads everything available in one go.
// * a thread that waits for a future of the pool (get/wait) reads its worker's socket itself
//   instead of sleeping while the I/O thread reads it and wakes it up: one wake-up less per
//   round trip. The socket is taken out of the I/O thread's epoll set meanwhile (no wake-up
//   there either) and put back, with what arrived in the meantime, before the completions run
//   (a done-callback may wait for another future of the same worker).
// A task is Running (no longer cancellable) from the moment it is handed to a worker.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include <weft/detail/subprocess.hpp>
#include <weft/future.hpp>

namespace weft::detail::proc {
class ProcessPoolCore;
namespace {

constexpr std::size_t kInFlight = 64;
constexpr std::int64_t kAheadNs = 250'000;
// A worker with tasks that has sent nothing for 4 task lengths and this long is busy with a
// long one (results of short tasks come at least every ~100 µs: see subprocess.cpp).
constexpr std::int64_t kOverdueNs = 500'000;

// The pool whose I/O thread this is, if it is one.
thread_local ProcessPoolCore* t_io_thread_of = nullptr;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class ProcessPoolCore final : public std::enable_shared_from_this<ProcessPoolCore>,
                              public WaitHelper {
 public:
  explicit ProcessPoolCore(std::size_t workers) : size_(workers == 0 ? 1 : workers) {}
  ProcessPoolCore(const ProcessPoolCore&) = delete;
  ProcessPoolCore& operator=(const ProcessPoolCore&) = delete;
  ~ProcessPoolCore() {
    shutdown(true, false);
    // The I/O thread holds a reference while it runs: if this runs there, that was the last
    // one (the executor was dropped in a done-callback) and the thread is about to end.
    if (io_.joinable()) io_.detach();
    if (event_fd_ >= 0) ::close(event_fd_);
  }

  void submit(std::unique_ptr<Job> job, Writer&& frame) {
    std::unique_lock lock(m_);
    if (broken_) throw BrokenProcessPool(broken_reason_);
    if (shutdown_) {
      throw std::runtime_error(
          "weft::ProcessPoolExecutor: cannot schedule new tasks after shutdown");
    }
    const std::uint64_t id = next_id_++;
    frame.patch(kFrameHeader, &id, sizeof id);
    pending_.push_back(Pending{std::move(job), std::move(frame)});
    if (!started_) {
      started_ = true;
      event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (event_fd_ < 0) {
        started_ = false;
        pending_.pop_back();
        throw std::system_error(errno, std::generic_category(), "weft: eventfd");
      }
      io_ = std::thread([self = shared_from_this()] { self->run(); });
      return;
    }
    dispatch_locked(/*at_submit=*/true);
  }

  void shutdown(bool wait, bool cancel_futures) {
    std::deque<Pending> cancelled;
    {
      std::lock_guard lock(m_);
      shutdown_ = true;
      if (cancel_futures) cancelled.swap(pending_);
    }
    for (Pending& p : cancelled) p.job->cancel();
    cancelled.clear();
    wake();
    if (!wait) return;
    std::lock_guard join_lock(join_m_);
    if (io_.joinable() && io_.get_id() != std::this_thread::get_id()) io_.join();
  }

  // Runs in a thread that would otherwise sleep until `state` is done: reads the results of
  // the worker that has its task, a batch at a time, until it is done.
  void help(FutureStateBase& state) override {
    if (t_io_thread_of == this) {
      // A done-callback run by the I/O thread waits: nobody else reads results or hands out
      // tasks now (the task waited for may not even have a worker yet), so this thread goes
      // on doing both until the future is done.
      std::vector<epoll_event> events(2 * size_ + 1);
      while (!FutureStateBase::is_final(state.word.load(std::memory_order_acquire))) {
        {
          std::lock_guard lock(m_);
          if (broken_) return;
          dispatch_locked();
        }
        if (!poll_once(events)) return;
      }
      return;
    }
    for (;;) {
      PoolWorker* w = nullptr;
      {
        std::lock_guard lock(m_);
        if (broken_) return;
        for (auto& candidate : workers_) {
          if (std::any_of(candidate->in_flight.begin(), candidate->in_flight.end(),
                          [&](const auto& j) { return j->state == &state; })) {
            w = candidate.get();
            break;
          }
        }
        // Pending, being read by another thread, or with output waiting for EPOLLOUT (which
        // only the I/O thread handles): sleep as usual.
        if (w == nullptr || w->gone || w->reader != Reader::None || !w->out.empty()) return;
        w->reader = Reader::Helper;
        ++helpers_;
        arm_locked(*w);
      }
      bool open = true;
      for (;;) {
        const ssize_t n = receive_some(w->child.fd, w->in, w->in_fds, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          open = false;
          break;
        }
        if (has_frame(w->in)) break;
      }
      Received got;
      bool died = false;
      {
        std::lock_guard lock(m_);
        got = take_received_locked(*w);
        w->reader = Reader::None;
        dispatch_locked();  // room freed: as the I/O thread would after reading
        died = !open || w->death_pending;
        if (!open) w->death_pending = true;
        arm_locked(*w);
        --helpers_;
      }
      helpers_cv_.notify_all();
      if (died) wake();  // the I/O thread reports the death (after any result it sent)
      complete(got);
      if (!open || FutureStateBase::is_final(state.word.load(std::memory_order_acquire))) return;
    }
  }

 private:
  struct Pending {
    std::unique_ptr<Job> job;
    Writer frame;
  };
  enum class Reader : std::uint8_t { None, Io, Helper };
  struct PoolWorker {
    Child child;
    std::size_t index = 0;
    std::vector<std::byte> out;  // frames not yet (fully) written
    std::size_t out_sent = 0;
    std::vector<int> out_fds;  // owned until sent
    std::deque<std::unique_ptr<Job>> in_flight;
    std::vector<std::byte> in;  // read by `reader` only
    std::deque<int> in_fds;
    bool gone = false;
    Reader reader = Reader::None;  // who reads the socket now
    bool death_pending = false;    // seen while a helper read: the I/O thread reports it later
    std::uint32_t events = 0;      // its socket's epoll events
    // Time per task, measured from the results (0: none yet), and the start of the interval
    // that the next results end (the worker has had tasks since then).
    std::int64_t task_ns = 0;
    std::int64_t busy_since = 0;
    // How many tasks it may have: about kAheadNs of work; one until a result has been timed.
    std::size_t window() const {
      if (task_ns <= 0) return 1;
      return static_cast<std::size_t>(
          std::clamp<std::int64_t>(kAheadNs / task_ns, 1, static_cast<std::int64_t>(kInFlight)));
    }
    bool overdue(std::int64_t now) const { return now - busy_since > 4 * task_ns + kOverdueNs; }
    // `done` results arrived now: an average of the last measurements, so that the window
    // follows a change of task length within a few results.
    void timed(std::size_t done) {
      const std::int64_t now = steady_ns();
      const std::int64_t each =
          std::max<std::int64_t>(1, (now - busy_since) / static_cast<std::int64_t>(done));
      task_ns = task_ns <= 0 ? each : (task_ns + each) / 2;
      busy_since = now;
    }
  };
  // Complete result frames cut out of a worker's input, with their jobs.
  struct Received {
    struct Frame {
      std::size_t at;
      std::size_t bytes;
      std::uint16_t fds;
    };
    std::vector<std::byte> bytes;
    std::vector<Frame> frames;
    std::deque<int> fds;
    std::vector<std::unique_ptr<Job>> jobs;
  };

  static constexpr std::uint32_t kArmed = EPOLLIN | EPOLLRDHUP | EPOLLET;

  // What the I/O thread waits for on a worker's socket: results unless a helper reads them,
  // room to write only while output waits (a writable socket would otherwise wake it each time
  // the worker reads a task). A change that makes an event ready reports it.
  void arm_locked(PoolWorker& w) {
    if (epoll_fd_ < 0 || w.gone) return;
    std::uint32_t events = w.reader == Reader::Helper ? EPOLLET : kArmed;
    if (!w.out.empty()) events |= EPOLLOUT;
    if (events == w.events) return;
    w.events = events;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = w.index * 2;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, w.child.fd, &ev);
  }

  static bool has_frame(const std::vector<std::byte>& in) { return next_frame(in).has_value(); }

  void wake() {
    if (event_fd_ < 0) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(event_fd_, &one, sizeof one);
  }

  // Hands pending tasks to the workers with room, least loaded first, and writes them.
  // A submitting thread sends only to an idle worker: a task that arrives while the workers are
  // busy waits for a result (its worker's pace is known then). Nor does a worker get more while
  // it is overdue, silent for much longer than its tasks take: its current task is a long one,
  // and what is sent behind it would wait for it while another worker may be free.
  void dispatch_locked(bool at_submit = false) {
    if (workers_.empty() || broken_) return;
    const std::int64_t now = pending_.empty() ? 0 : steady_ns();
    while (!pending_.empty()) {
      PoolWorker* best = nullptr;
      for (auto& w : workers_) {
        if (w->gone || w->in_flight.size() >= w->window()) continue;
        if (!w->in_flight.empty() && (at_submit || w->overdue(now))) continue;
        if (best == nullptr || w->in_flight.size() < best->in_flight.size()) best = w.get();
      }
      if (best == nullptr) break;
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      if (!p.job->start()) continue;  // cancelled while pending
      const auto bytes = p.frame.bytes();
      best->out.insert(best->out.end(), bytes.begin(), bytes.end());
      for (const int fd : p.frame.release_fds()) best->out_fds.push_back(fd);
      if (best->in_flight.empty()) best->busy_since = now;
      best->in_flight.push_back(std::move(p.job));
    }
    for (auto& w : workers_) flush_locked(*w);
  }

  // Writes what the socket takes without blocking; the rest waits for EPOLLOUT.
  void flush_locked(PoolWorker& w) {
    while (w.out_sent < w.out.size()) {
      std::size_t nfds = 0;
      const ssize_t n = send_some(w.child.fd, std::span<const std::byte>(w.out).subspan(w.out_sent),
                                  w.out_fds, MSG_DONTWAIT, nfds);
      if (n < 0) {
        if (errno == EINTR) continue;
        arm_locked(w);
        return;  // full (EPOLLOUT follows), or the worker is gone (its pidfd tells)
      }
      w.out_sent += static_cast<std::size_t>(n);
      for (std::size_t i = 0; i < nfds; ++i) ::close(w.out_fds[i]);
      w.out_fds.erase(w.out_fds.begin(), w.out_fds.begin() + static_cast<std::ptrdiff_t>(nfds));
    }
    w.out.clear();
    w.out_sent = 0;
    if ((w.events & EPOLLOUT) != 0) arm_locked(w);
  }

  // The I/O thread.
  void run() {
    pthread_setname_np(pthread_self(), "weft-procpool");
    t_io_thread_of = this;
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    std::string failure = epoll_fd_ < 0 ? std::string("epoll_create1 failed") : std::string();
    if (failure.empty()) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kEventTag;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);
    }
    for (std::size_t i = 0; i < size_ && failure.empty(); ++i) {
      try {
        auto w = std::make_unique<PoolWorker>();
        w->index = i;
        w->child = spawn_worker();
        epoll_event ev{};
        ev.events = kArmed;
        w->events = kArmed;
        ev.data.u64 = i * 2;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, w->child.fd, &ev);
        if (w->child.pidfd >= 0) {
          ev.events = EPOLLIN;
          ev.data.u64 = i * 2 + 1;
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, w->child.pidfd, &ev);
        }
        std::lock_guard lock(m_);
        workers_.push_back(std::move(w));
      } catch (const std::exception& e) {
        failure = std::string("cannot start a worker process: ") + e.what();
      }
    }
    if (!failure.empty()) {
      break_pool(failure);
    } else {
      loop();
    }
    finish();
  }

  void loop() {
    std::vector<epoll_event> events(2 * size_ + 1);
    for (;;) {
      {
        std::lock_guard lock(m_);
        if (broken_) return;  // by a death seen in a done-callback's wait (help())
        dispatch_locked();
        if (shutdown_ && pending_.empty() &&
            std::all_of(workers_.begin(), workers_.end(),
                        [](const auto& w) { return w->in_flight.empty(); })) {
          return;
        }
      }
      if (!poll_once(events)) return;
    }
  }

  // Waits for events and serves them. False once the pool is broken.
  bool poll_once(std::vector<epoll_event>& events) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) return true;
      break_pool(std::string("epoll_wait failed: ") + std::strerror(errno));
      return false;
    }
    std::string died;
    bool woken = false;
    for (int k = 0; k < n; ++k) {
      const std::uint64_t tag = events[k].data.u64;
      if (tag == kEventTag) {
        std::uint64_t v;
        [[maybe_unused]] const ssize_t r = ::read(event_fd_, &v, sizeof v);
        woken = true;
        continue;
      }
      const bool exited =
          (tag % 2) == 1 || (events[k].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0;
      serve(*workers_[tag / 2], exited, died);
    }
    // A helper saw a death (or had the socket when the pidfd fired), and has left.
    for (std::size_t i = 0; woken && i < workers_.size(); ++i) {
      bool pending = false;
      {
        std::lock_guard lock(m_);
        pending = workers_[i]->death_pending && workers_[i]->reader == Reader::None;
      }
      if (pending) serve(*workers_[i], true, died);
    }
    if (!died.empty()) {
      break_pool("a worker process of the pool died (" + died +
                 ") while tasks were running or pending; the pool is broken");
      return false;
    }
    return true;
  }

  // Reads a worker's results and reports its death. A worker a helper reads now is left to
  // it; a death seen meanwhile is reported once the helper has left (death_pending).
  void serve(PoolWorker& w, bool exited, std::string& died) {
    {
      std::lock_guard lock(m_);
      if (w.gone) return;
      if (w.reader == Reader::Helper) {
        if (exited) w.death_pending = true;
        return;
      }
      w.reader = Reader::Io;
    }
    // Results it sent before it went still count.
    const bool open = receive(w);
    bool first = false;
    Received got;
    {
      std::lock_guard lock(m_);
      got = take_received_locked(w);
      dispatch_locked();  // room freed: the worker goes on while the callbacks run
      // Before the callbacks run: one of them may wait for a later result of this worker.
      w.reader = Reader::None;
      if (!open || exited) first = !std::exchange(w.gone, true);
    }
    complete(got);
    if (first) died = describe_death(w);
  }

  std::string describe_death(PoolWorker& w) {
    int code = 0;
    if (w.child.pid > 0) {
      // Its socket is closed, but it may still run (a task closed the descriptor): never wait
      // for a task to end with the I/O thread. A worker that already exited keeps its status.
      ::kill(w.child.pid, SIGKILL);
      code = wait_exitcode(w.child.pid);
      w.child.pid = -1;
    }
    return code < 0 ? "killed by signal " + std::to_string(-code)
                    : "exit status " + std::to_string(code);
  }

  // Reads everything available. False at EOF or on a socket error.
  bool receive(PoolWorker& w) {
    bool open = true;
    for (;;) {
      const ssize_t n = receive_some(w.child.fd, w.in, w.in_fds, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        break;
      }
      // No early stop on a short read: the socket is edge-triggered, and a read also comes
      // back short at a chunk that carries descriptors while more data waits behind it.
    }
    return open;
  }

  // Cuts the complete frames out of w.in (the caller reads w) and pops their jobs, so that
  // they can be completed after the socket is handed on.
  Received take_received_locked(PoolWorker& w) {
    Received got;
    std::size_t pos = 0;
    std::size_t nfds = 0;
    while (const std::optional<FrameView> f =
               next_frame(std::span<const std::byte>(w.in).subspan(pos))) {
      got.frames.push_back(Received::Frame{pos + kFrameHeader, f->payload.size(), f->fds});
      pos += kFrameHeader + f->payload.size();
      nfds += f->fds;
    }
    if (got.frames.empty()) return got;
    for (std::size_t i = 0; i < got.frames.size() && !w.in_flight.empty(); ++i) {
      got.jobs.push_back(std::move(w.in_flight.front()));
      w.in_flight.pop_front();
    }
    if (!got.jobs.empty()) w.timed(got.jobs.size());
    got.bytes.swap(w.in);
    w.in.assign(got.bytes.begin() + static_cast<std::ptrdiff_t>(pos), got.bytes.end());
    for (; nfds > 0 && !w.in_fds.empty(); --nfds) {
      got.fds.push_back(w.in_fds.front());
      w.in_fds.pop_front();
    }
    return got;
  }

  // Completing runs done-callbacks (user code, which may submit or wait): never under m_.
  static void complete(Received& got) {
    for (std::size_t i = 0; i < got.jobs.size(); ++i) {
      const Received::Frame& f = got.frames[i];
      std::vector<int> fds;
      for (std::uint16_t k = 0; k < f.fds && !got.fds.empty(); ++k) {
        fds.push_back(got.fds.front());
        got.fds.pop_front();
      }
      weft::Reader r(std::span<const std::byte>(got.bytes.data() + f.at, f.bytes), std::move(fds));
      std::uint64_t id = 0;
      try {
        r.read(&id, sizeof id);
        got.jobs[i]->complete(r);
      } catch (...) {
        got.jobs[i]->fail(std::current_exception());
      }
    }
    for (const int fd : got.fds) ::close(fd);  // results of jobs no longer in flight
  }

  // Every task not finished fails with BrokenProcessPool; so does every later submit.
  void break_pool(const std::string& reason) {
    std::vector<std::unique_ptr<Job>> failed;
    {
      std::lock_guard lock(m_);
      broken_ = true;
      broken_reason_ = "weft::ProcessPoolExecutor: " + reason;
      for (auto& w : workers_) {
        for (auto& j : w->in_flight) failed.push_back(std::move(j));
        w->in_flight.clear();
      }
      for (Pending& p : pending_) failed.push_back(std::move(p.job));
      pending_.clear();
    }
    // As Python does: the other workers are stopped too.
    for (auto& w : workers_) {
      if (w->child.pid > 0) ::kill(w->child.pid, SIGKILL);
    }
    const auto error = std::make_exception_ptr(BrokenProcessPool(broken_reason_));
    for (auto& j : failed) j->fail(error);
  }

  // Closing the sockets ends idle workers (EOF); every child is waited for.
  void finish() {
    std::vector<std::unique_ptr<PoolWorker>> workers;
    {
      // A helper blocked on a worker's socket wakes up at its end (killed or finished).
      std::unique_lock lock(m_);
      helpers_cv_.wait(lock, [&] { return helpers_ == 0; });
      workers.swap(workers_);
    }
    for (auto& w : workers) {
      ::close(w->child.fd);
      for (const int fd : w->out_fds) ::close(fd);
      for (const int fd : w->in_fds) ::close(fd);
    }
    for (auto& w : workers) {
      if (w->child.pid > 0) wait_exitcode(w->child.pid);
      if (w->child.pidfd >= 0) ::close(w->child.pidfd);
    }
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    epoll_fd_ = -1;
  }

  static constexpr std::uint64_t kEventTag = ~std::uint64_t{0};

  const std::size_t size_;
  std::mutex m_;  // guards everything below but a worker's input (in, in_fds: its reader's)
  std::condition_variable helpers_cv_;
  std::size_t helpers_ = 0;  // threads in help() that read a socket
  std::mutex join_m_;
  std::deque<Pending> pending_;
  std::vector<std::unique_ptr<PoolWorker>> workers_;
  std::uint64_t next_id_ = 1;
  bool started_ = false;
  bool shutdown_ = false;
  bool broken_ = false;
  std::string broken_reason_;
  int event_fd_ = -1;
  int epoll_fd_ = -1;
  std::thread io_;
};

std::shared_ptr<ProcessPoolCore> make_pool(std::size_t workers) {
  return std::make_shared<ProcessPoolCore>(workers);
}
void pool_submit(ProcessPoolCore& pool, std::unique_ptr<Job> job, Writer&& frame) {
  pool.submit(std::move(job), std::move(frame));
}
void pool_shutdown(ProcessPoolCore& pool, bool wait, bool cancel_futures) {
  pool.shutdown(wait, cancel_futures);
}
std::weak_ptr<WaitHelper> pool_helper(const std::shared_ptr<ProcessPoolCore>& pool) { return pool; }

}  // namespace weft::detail::proc
