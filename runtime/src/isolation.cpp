#include "isolation.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include <weft/detail/platform.hpp>

namespace weft::detail {

// Shared with one worker: the schedule it runs now, and how many decisions that run made so
// far. Its decisions follow it in the mapping.
struct WorkerSlot {
  std::uint64_t iteration;
  std::uint64_t count;
  std::uint64_t hung;  // the worker's watchdog ended it (set from the worker's watch thread)
};

struct Workers::Worker {
  pid_t pid = -1;
  int fd = -1;
  int control = -1;  // messages to it (Workers::tell)
  WireReader in;
  bool done = false;  // sent its end marker
  bool exited = false;
  bool exhausted = false;      // its end marker says the strategy had no schedule left
  std::uint64_t last = 0;      // last iteration it reported
  std::uint64_t last_run = 0;  // from its end marker: the last schedule it ran, and its decisions
  std::vector<Schedule::Decision> last_decisions;
};

namespace {

// Decisions a worker's shared slot holds: enough for max_steps points and their choices, at
// most 4 Mi (computed without overflowing for a huge max_steps).
std::size_t mirror_capacity(std::uint64_t max_steps) {
  constexpr std::uint64_t kMost = std::uint64_t{1} << 22;
  return static_cast<std::size_t>(max_steps >= kMost / 2 ? kMost
                                                         : std::min(max_steps * 2 + 1024, kMost));
}

// How a worker that sent no end marker ended, for its Crash bug.
std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return describe_wait_status(status);
  if (WIFEXITED(status)) {
    return "the process exited with status " + std::to_string(WEXITSTATUS(status)) +
           " in the middle of the schedule";
  }
  return "the process ended abnormally";
}

}  // namespace

ChildOutput run_in_child(const std::function<void(int fd)>& fn, double timeout_s) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  std::fflush(nullptr);  // buffered output must not be written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    try {
      fn(fds[1]);
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  ChildOutput out;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(timeout_s > 0 ? timeout_s : 0));
  char buffer[4096];
  for (;;) {
    int wait_ms = -1;
    if (timeout_s > 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        ::kill(pid, SIGKILL);
        out.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 60'000));
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  wait_child(pid, &out.status);
  out.clean = !out.timed_out && WIFEXITED(out.status) && WEXITSTATUS(out.status) == 0;
  return out;
}

ChildValues run_in_child_values(
    const std::function<void(const std::function<void(std::uint64_t)>& send)>& fn) {
  const ChildOutput child = run_in_child([&](int fd) {
    const std::function<void(std::uint64_t)> send = [fd](std::uint64_t v) {
      if (!write_all(fd, std::string_view(reinterpret_cast<const char*>(&v), sizeof v))) {
        ::_exit(3);
      }
    };
    fn(send);
  });
  ChildValues out;
  out.clean = child.clean;
  for (std::size_t at = 0; at + sizeof(std::uint64_t) <= child.bytes.size();
       at += sizeof(std::uint64_t)) {
    std::uint64_t v = 0;
    std::memcpy(&v, child.bytes.data() + at, sizeof v);
    out.values.push_back(v);
  }
  return out;
}

void WorkerLink::mirror_decisions(Execution& ex) const {
  ex.set_mirror(decisions_, capacity_, &slot_->count);
}

void WorkerLink::running(std::uint64_t i) const { slot_->iteration = i; }

void WorkerLink::mark_hung() const noexcept { __atomic_store_n(&slot_->hung, 1, __ATOMIC_RELEASE); }

void WorkerLink::send(std::uint64_t i, const RunResult& r, bool urgent, bool full) {
  // Large enough that writes are rare for fast bodies; the age limit keeps the progress line
  // moving for slow ones. (Only when outcomes arrive depends on the clock, never what they are.)
  constexpr std::size_t kBatch = 256;
  constexpr auto kMaxAge = std::chrono::milliseconds(100);
  if (urgent || full) {
    append_record(pending_, i, r);
  } else {
    append_clean(pending_, i);
  }
  const auto now = std::chrono::steady_clock::now();
  if (pending_count_++ == 0) pending_since_ = now;
  if (urgent || pending_count_ >= kBatch || now - pending_since_ >= kMaxAge) {
    write_out(fd_, pending_);
    pending_count_ = 0;
  }
}

void WorkerLink::flush() {
  if (!pending_.empty()) write_out(fd_, pending_);
  pending_count_ = 0;
}

std::string WorkerLink::receive() {
  flush();  // the exploring process may be waiting for these before it says anything
  std::uint64_t n = 0;
  std::string out;
  auto read_exactly = [this](char* into, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
      const ssize_t r = ::read(control_, into + got, size - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) throw std::system_error(errno, std::generic_category(), "worker control");
      got += static_cast<std::size_t>(r);
    }
  };
  read_exactly(reinterpret_cast<char*>(&n), sizeof n);
  out.resize(static_cast<std::size_t>(n));
  read_exactly(out.data(), out.size());
  return out;
}

void Workers::tell(const std::string& message) {
  std::string framed;
  const std::uint64_t n = message.size();
  framed.append(reinterpret_cast<const char*>(&n), sizeof n);
  framed += message;
  for (Worker& w : workers_) {
    if (w.exited) continue;
    std::string_view rest = framed;
    while (!rest.empty()) {
      const ssize_t k = ::send(w.control, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;  // it has ended: nothing to tell it
      rest.remove_prefix(static_cast<std::size_t>(k));
    }
  }
}

void WorkerLink::finish(bool exhausted, std::uint64_t ran,
                        const std::vector<Schedule::Decision>& decisions) {
  append_end(pending_, exhausted, ran, decisions);
  write_out(fd_, pending_);
  pending_count_ = 0;
}

Workers::Workers(unsigned jobs, std::uint64_t max_steps, double hang_timeout_s,
                 const std::function<void(WorkerLink&)>& work)
    : jobs_(jobs),
      hang_timeout_s_(hang_timeout_s),
      capacity_(mirror_capacity(max_steps)),
      slot_bytes_(sizeof(WorkerSlot) + capacity_ * sizeof(Schedule::Decision)),
      shared_(slot_bytes_ * jobs),
      workers_(jobs) {
  std::fflush(nullptr);  // buffered output must not be written twice
  for (unsigned w = 0; w < jobs; ++w) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    // The other way, a socket: a message to a worker that has ended must not raise SIGPIPE in
    // this process (send's MSG_NOSIGNAL; a pipe has no such flag).
    int control[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) {
      throw std::system_error(errno, std::generic_category(), "socketpair");
    }
    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
      ::close(fds[0]);
      ::close(control[0]);
      for (unsigned o = 0; o < w; ++o) {
        ::close(workers_[o].fd);
        ::close(workers_[o].control);
      }
      int code = 0;
      try {
        WorkerLink link(w, fds[1], slot(w), decisions(w), capacity_);
        link.control_ = control[1];
        work(link);
      } catch (...) {
        code = 3;
      }
      ::close(fds[1]);
      ::_exit(code);
    }
    ::close(fds[1]);
    ::close(control[1]);
    workers_[w].pid = pid;
    workers_[w].fd = fds[0];
    workers_[w].control = control[0];
  }
}

Workers::~Workers() { stop(); }

void Workers::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (Worker& w : workers_) {
    if (!w.exited) {
      ::kill(w.pid, SIGKILL);
      wait_child(w.pid, nullptr);
    }
    ::close(w.fd);
    ::close(w.control);
  }
}

WorkerSlot* Workers::slot(unsigned w) const {
  return reinterpret_cast<WorkerSlot*>(static_cast<char*>(shared_.data()) + slot_bytes_ * w);
}

Schedule::Decision* Workers::decisions(unsigned w) const {
  return reinterpret_cast<Schedule::Decision*>(reinterpret_cast<char*>(slot(w)) +
                                               sizeof(WorkerSlot));
}

std::optional<RunResult> Workers::take(std::uint64_t i) {
  for (;;) {
    // Outcomes are taken in schedule order: the front of the queue is schedule base_.
    if (i == base_ && !ready_.empty() && ready_.front()) {
      RunResult r = std::move(*ready_.front());
      ready_.pop_front();
      ++base_;
      return r;
    }
    const Worker& w = workers_[owner(i)];
    if (w.exited && w.last < i) return std::nullopt;  // it stopped: nothing more in order
    wait_for_records();
  }
}

void Workers::skip(std::uint64_t i) {
  if (i != base_) return;
  if (!ready_.empty()) ready_.pop_front();
  ++base_;
}

void Workers::put(std::uint64_t i, RunResult r) {
  if (i < base_) return;  // taken already (cannot happen: each schedule has one outcome)
  const std::size_t k = static_cast<std::size_t>(i - base_);
  if (k >= ready_.size()) ready_.resize(k + 1);
  ready_[k] = std::move(r);
}

bool Workers::exhausted(std::uint64_t i) const { return workers_[owner(i)].exhausted; }

const std::vector<Schedule::Decision>* Workers::last_decisions(std::uint64_t i) const {
  const Worker& w = workers_[owner(i)];
  return w.last_run == i ? &w.last_decisions : nullptr;
}

void Workers::wait_for_records() {
  std::vector<pollfd> fds;
  std::vector<unsigned> who;
  for (unsigned w = 0; w < workers_.size(); ++w) {
    if (workers_[w].exited) continue;
    fds.push_back(pollfd{workers_[w].fd, POLLIN, 0});
    who.push_back(w);
  }
  if (fds.empty()) return;
  if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
    throw std::system_error(errno, std::generic_category(), "poll");
  }
  for (std::size_t k = 0; k < fds.size(); ++k) {
    if (fds[k].revents == 0) continue;
    Worker& w = workers_[who[k]];
    if (!w.in.fill(w.fd)) {
      ended(who[k]);
      continue;
    }
    while (std::optional<WireRecord> rec = w.in.next()) {
      if (rec->end) {
        w.done = true;
        w.exhausted = rec->exhausted;
        w.last_run = rec->iteration;
        w.last_decisions = std::move(rec->last);
        continue;
      }
      w.last = rec->iteration;
      put(rec->iteration, std::move(rec->result));
    }
  }
}

// End of worker w's output: it ended, or died. Died in the middle of a schedule (no end marker,
// and its slot names a schedule it did not report), that schedule's outcome is a Crash.
void Workers::ended(unsigned index) {
  Worker& w = workers_[index];
  int status = 0;
  wait_child(w.pid, &status);
  w.exited = true;
  const WorkerSlot* s = slot(index);
  if (w.done || s->iteration == 0 || s->iteration <= w.last) return;
  // Its schedules between the last one it reported and the one it died in ran clean (a run
  // with bugs is written at once): their outcome is known without their records.
  for (std::uint64_t i = w.last == 0 ? index + 1 : w.last + jobs_; i < s->iteration; i += jobs_) {
    put(i, RunResult{});
  }
  RunResult crash;
  PendingBug b;
  if (__atomic_load_n(&s->hung, __ATOMIC_ACQUIRE) != 0) {
    b.kind = BugKind::Hang;
    b.message = "schedule " + std::to_string(s->iteration) +
                " stopped reaching weft operations (none for " + format_seconds(hang_timeout_s_) +
                " s, after " + std::to_string(s->count) + " scheduling decisions)";
    b.key = "hang";
  } else {
    b.kind = BugKind::Crash;
    b.message = "the body crashed in schedule " + std::to_string(s->iteration) + ": " +
                describe_status(status);
    b.key = "crash";
  }
  // The slot holds the first capacity_ decisions; a longer run's schedule is cut there (its
  // replay then diverges at the cut, reported as Nondeterminism).
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(s->count, capacity_));
  if (s->count > n) {
    b.message += " (its schedule holds the first " + std::to_string(n) + " of " +
                 std::to_string(s->count) + " decisions)";
  }
  crash.bugs.push_back(std::move(b));
  crash.decisions.assign(decisions(index), decisions(index) + n);
  w.last = s->iteration;
  put(s->iteration, std::move(crash));
}

}  // namespace weft::detail
