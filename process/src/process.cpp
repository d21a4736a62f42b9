#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>

#include <weft/process.hpp>

namespace weft {

std::string Process::default_name() {
  static std::atomic<std::uint64_t> count{0};
  // In model mode the name must not depend on how many schedules ran before.
  if (detail::current() != nullptr) return "Process";
  return "Process-" + std::to_string(count.fetch_add(1, std::memory_order_relaxed) + 1);
}

Process::Process(Process&& other) noexcept
    : name_(std::move(other.name_)),
      args_(std::move(other.args_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      code_(other.code_),
      ex_(other.ex_),
      model_(std::move(other.model_)),
      body_(std::move(other.body_)),
      thread_(std::move(other.thread_)),
      started_(std::exchange(other.started_, false)),
      joined_(other.joined_),
      named_(other.named_) {}

Process& Process::operator=(Process&& other) noexcept(false) {
  if (this != &other) {
    retire();
    name_ = std::move(other.name_);
    args_ = std::move(other.args_);
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    code_ = other.code_;
    ex_ = other.ex_;
    model_ = std::move(other.model_);
    body_ = std::move(other.body_);
    thread_ = std::move(other.thread_);
    started_ = std::exchange(other.started_, false);
    joined_ = other.joined_;
    named_ = other.named_;
  }
  return *this;
}

Process::~Process() noexcept(false) { retire(); }

void Process::retire() {
  if (started_ && !joined_) {
#ifndef WEFT_PRODUCTION_ONLY
    if (model_ != nullptr) {
      if (ex_ == detail::current()) join();
      return;
    }
#endif
    reap(true);
    joined_ = true;
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

void Process::check_production(const Location& where) const {
  if (detail::current() != nullptr) detail::throw_mode_mismatch("Process", where);
}

bool Process::check_model_started(const char* op, const Location& where) {
#ifndef WEFT_PRODUCTION_ONLY
  detail::Execution& ex = detail::model(ex_, "Process", where);
  if (started_ || detail::unwinding(ex)) return started_;
  detail::fail(ex, BugKind::Misuse,
               std::string("Process::") + op + " of a Process that was not started, at " +
                   detail::location_text(where));
#else
  (void)op;
  (void)where;
#endif
  return false;
}

void Process::start(Location where) {
#ifndef WEFT_PRODUCTION_ONLY
  if (model_ != nullptr) {
    detail::Execution& ex = detail::model(ex_, "Process", where);
    if (started_) {
      if (!detail::unwinding(ex)) {
        detail::fail(
            ex, BugKind::Misuse,
            "Process::start of a Process started already, at " + detail::location_text(where));
      }
      return;
    }
    started_ = true;
    if (named_) {
      // Traces name the model thread after the process when the user named it.
      thread_ = Thread(
          [body = std::move(body_), name = name_]() mutable {
            this_thread::set_name(name);
            body();
          },
          where);
    } else {
      thread_ = Thread(std::move(body_), where);
    }
    return;
  }
#endif
  check_production(where);
  if (started_) throw std::logic_error("weft::Process::start: the process was started already");
  const detail::proc::Child child = detail::proc::spawn_worker();
  started_ = true;
  pid_ = child.pid;
  pidfd_ = child.pidfd;
  Writer frame;
  const std::size_t at = detail::proc::begin_frame(frame, detail::proc::FrameKind::RunProcess);
  weft::serialize(frame, name_);
  frame.write(args_.bytes().data(), args_.bytes().size());
  detail::proc::finish_frame(frame, at, args_.fds().size());
  // A child that died before reading shows in its exit code.
  detail::proc::send_all(child.fd, frame.bytes(), args_.fds());
  ::close(child.fd);
  args_.clear();
}

bool Process::reap(bool block) {
  if (code_) return true;
  if (block) {
    code_ = detail::proc::wait_exitcode(pid_);
    return true;
  }
  int code = 0;
  if (!detail::proc::try_wait_exitcode(pid_, code)) return false;
  code_ = code;
  return true;
}

void Process::join(Location where) {
#ifndef WEFT_PRODUCTION_ONLY
  if (model_ != nullptr) {
    if (!check_model_started("join", where)) return;
    if (joined_) return;  // Python allows joining again
    thread_.join(where);
    joined_ = !thread_.joinable();
    return;
  }
#endif
  check_production(where);
  if (!started_) throw std::logic_error("weft::Process::join: the process was not started");
  reap(true);
  joined_ = true;
}

bool Process::join_for_ns(std::int64_t ns, const Location& where) {
  check_production(where);
  if (!started_) throw std::logic_error("weft::Process::join_for: the process was not started");
  if (reap(false)) {
    join(where);
    return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      // Rounded up: a timeout below 1 ms still waits for it.
      const int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (r < 0 && errno != EINTR) return false;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (reap(false)) {
      joined_ = true;
      return true;
    }
  }
}

bool Process::is_alive(Location where) {
#ifndef WEFT_PRODUCTION_ONLY
  if (model_ != nullptr) {
    detail::model(ex_, "Process", where);
    return started_ && !model_->ended.is_set(where);
  }
#endif
  check_production(where);
  return started_ && !reap(false);
}

std::optional<int> Process::exitcode(Location where) {
#ifndef WEFT_PRODUCTION_ONLY
  if (model_ != nullptr) {
    detail::model(ex_, "Process", where);
    if (!started_ || !model_->ended.is_set(where)) return std::nullopt;
    return model_->code;
  }
#endif
  check_production(where);
  if (!started_ || !reap(false)) return std::nullopt;
  return code_;
}

void Process::signal(int sig, const char* op, const Location& where) {
#ifndef WEFT_PRODUCTION_ONLY
  if (model_ != nullptr) {
    if (!check_model_started(op, where)) return;
    if (model_->ended.is_set(where)) return;
    throw UsageError(std::string("weft::Process::") + op +
                     " of a running process is not modelled (a model thread cannot be stopped "
                     "at an arbitrary point): test termination in production mode");
  }
#endif
  check_production(where);
  if (!started_) {
    throw std::logic_error(std::string("weft::Process::") + op + ": the process was not started");
  }
  if (code_) return;
  // A pidfd names this very process even after it was reaped; a bare pid could be reused.
  if (pidfd_ >= 0) {
    ::syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0);
  } else {
    ::kill(pid_, sig);
  }
}

void Process::terminate(Location where) { signal(SIGTERM, "terminate", where); }
void Process::kill(Location where) { signal(SIGKILL, "kill", where); }

}  // namespace weft
