// Worker processes: spawning (re-exec of /proc/self/exe), the worker's entry point and loop,
// code references that survive ASLR, and the exception encoding. See subprocess.hpp.
#include <weft/detail/platform.hpp>
#include <weft/detail/subprocess.hpp>

#include <cxxabi.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>

#include <weft/errors.hpp>

extern char** environ;

namespace weft::detail::proc {
namespace {

// The fd number the worker finds its socket at.
constexpr int kWorkerFd = 3;
constexpr int kProtocolError = 70;  // EX_SOFTWARE: the parent sent something unreadable
// SCM_MAX_FD in Linux: the most descriptors one message may carry.
constexpr std::size_t kMaxFdsPerMessage = 253;
// The longest a finished task's result waits in a worker for others to batch with.
constexpr std::int64_t kMaxResultDelayNs = 100'000;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// ---- Code references ------------------------------------------------------------------------

struct Range {
  std::uintptr_t bias = 0;  // dlpi_addr: what ASLR added to the object's addresses
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
  std::string name;
};

Range object_range(const dl_phdr_info* info) {
  Range r{info->dlpi_addr, ~std::uintptr_t{0}, 0,
          info->dlpi_name != nullptr ? info->dlpi_name : ""};
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    r.lo = std::min<std::uintptr_t>(r.lo, info->dlpi_addr + ph.p_vaddr);
    r.hi = std::max<std::uintptr_t>(r.hi, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  return r;
}

// The main executable is always the first object dl_iterate_phdr reports.
const Range& main_program() {
  static const Range r = [] {
    Range out;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
          *static_cast<Range*>(data) = object_range(info);
          return 1;
        },
        &out);
    out.name.clear();
    return out;
  }();
  return r;
}

std::vector<Range> loaded_objects() {
  std::vector<Range> all;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        static_cast<std::vector<Range>*>(data)->push_back(object_range(info));
        return 0;
      },
      &all);
  if (!all.empty()) all.front().name.clear();
  return all;
}

std::uintptr_t resolve(const CodeRef& ref) {
  if (ref.object.empty()) return main_program().bias + ref.offset;
  // Shared libraries are rare here (functions usually live in the executable): no cache.
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (const Range& r : loaded_objects()) {
      if (r.name == ref.object) return r.bias + ref.offset;
    }
    // Loaded by dlopen in the parent: load it here too.
    if (dlopen(ref.object.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) break;
  }
  throw SerializationError("weft: worker cannot load " + ref.object + " to find a task's code");
}

CodeRef read_code_ref(Reader& r) {
  CodeRef ref;
  weft::deserialize(r, ref.offset);
  weft::deserialize(r, ref.object);
  return ref;
}

// ---- Spawning -------------------------------------------------------------------------------

const std::vector<std::string>& own_argv() {
  static const std::vector<std::string> argv = [] {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string arg;
    while (std::getline(in, arg, '\0')) out.push_back(arg);
    if (out.empty()) out.emplace_back("weft-worker");
    return out;
  }();
  return argv;
}

Child spawn_now() {
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
    throw_errno("weft: socketpair");
  int child_end = sp[1];
  if (child_end == kWorkerFd) {
    // dup2(3, 3) would keep close-on-exec set: move it out of the way first.
    child_end = ::fcntl(sp[1], F_DUPFD_CLOEXEC, kWorkerFd + 1);
    ::close(sp[1]);
    if (child_end < 0) {
      ::close(sp[0]);
      throw_errno("weft: fcntl");
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_end, kWorkerFd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // Signals the parent ignores (SIGPIPE, often) would stay ignored across exec.
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> own_env{"WEFT_WORKER_FD=" + std::to_string(kWorkerFd),
                                   "WEFT_WORKER_PARENT=" + std::to_string(::getpid())};
  std::vector<char*> envp;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "WEFT_WORKER_", 12) != 0) envp.push_back(*e);
  }
  for (std::string& e : own_env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = own_argv();
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(child_end);
  if (rc != 0) {
    ::close(sp[0]);
    throw std::system_error(rc, std::generic_category(), "weft: posix_spawn of /proc/self/exe");
  }
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return Child{pid, sp[0], pidfd};
}

// The one thread that creates children (see spawn_worker). Never destroyed: it may be asked
// for a child until the very end of the program.
class Spawner {
 public:
  Spawner() {
    std::thread([this] { run(); }).detach();
  }
  Child spawn() {
    Request req;
    std::unique_lock lock(m_);
    queue_.push_back(&req);
    cv_.notify_all();
    cv_.wait(lock, [&] { return req.done; });
    if (req.error) std::rethrow_exception(req.error);
    return req.child;
  }

 private:
  struct Request {
    Child child;
    std::exception_ptr error;
    bool done = false;
  };
  void run() {
    pthread_setname_np(pthread_self(), "weft-spawner");
    std::unique_lock lock(m_);
    for (;;) {
      cv_.wait(lock, [&] { return !queue_.empty(); });
      Request* req = queue_.front();
      queue_.pop_front();
      lock.unlock();
      try {
        req->child = spawn_now();
      } catch (...) {
        req->error = std::current_exception();
      }
      lock.lock();
      req->done = true;
      cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
};

// ---- The worker -----------------------------------------------------------------------------

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct FrameHeader {
  std::uint32_t bytes;
  std::uint16_t fds;
  std::uint8_t kind;
  std::uint8_t zero;
};
static_assert(sizeof(FrameHeader) == kFrameHeader);

class WorkerLoop {
 public:
  explicit WorkerLoop(int fd) : fd_(fd) {}
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;
  ~WorkerLoop() {
    if (!flusher_.joinable()) return;
    {
      std::lock_guard lock(out_m_);
      stop_ = true;
    }
    out_cv_.notify_all();
    flusher_.join();
  }

  int serve() {
    for (;;) {
      while (const std::optional<FrameView> f = next_frame(unread())) {
        if (fds_.size() < f->fds) return kProtocolError;
        std::vector<int> fds(fds_.begin(), fds_.begin() + f->fds);
        fds_.erase(fds_.begin(), fds_.begin() + f->fds);
        pos_ += kFrameHeader + f->payload.size();
        switch (static_cast<FrameKind>(f->kind)) {
          case FrameKind::Task:
            run_task(f->payload, std::move(fds));
            break;
          case FrameKind::RunProcess:
            return run_process(f->payload, std::move(fds));
          default:
            return kProtocolError;
        }
      }
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
      {
        // About to block for more input: everything computed so far goes out first.
        std::lock_guard lock(out_m_);
        if (!flush_locked()) return 0;
      }
      const int got = receive();
      if (got <= 0) return got == 0 ? 0 : kProtocolError;  // EOF: the pool is shutting down
    }
  }

 private:
  std::span<const std::byte> unread() const {
    return std::span<const std::byte>(in_).subspan(pos_);
  }
  bool complete_frame() const { return next_frame(unread()).has_value(); }

  bool flush_locked() {
    pending_since_ns_ = 0;
    if (out_.size() == 0) return true;
    const bool ok = send_all(fd_, out_.bytes(), out_.fds());
    out_.clear();
    return ok;
  }

  // While more tasks are queued here, results wait to go back in one write (a syscall and a
  // wake-up of the parent per batch, not per task). This thread bounds the wait: a result
  // followed by a long task still leaves within kMaxResultDelayNs.
  void flusher() {
    std::unique_lock lock(out_m_);
    while (!stop_) {
      if (pending_since_ns_ == 0) {
        out_cv_.wait(lock);
        continue;
      }
      const std::int64_t due = pending_since_ns_ + kMaxResultDelayNs;
      const std::int64_t now = now_ns();
      if (now >= due) {
        flush_locked();
        continue;
      }
      out_cv_.wait_for(lock, std::chrono::nanoseconds(due - now));
    }
  }

  void run_task(std::span<const std::byte> payload, std::vector<int> fds) {
    result_.clear();
    Reader r(payload, std::move(fds));
    std::uint64_t id = 0;
    r.read(&id, sizeof id);
    const std::size_t at = begin_frame(result_, FrameKind::Result);
    result_.write(&id, sizeof id);
    try {
      const CodeRef tramp = read_code_ref(r);
      const CodeRef fn = read_code_ref(r);
      const auto t = reinterpret_cast<Trampoline>(resolve(tramp));
      t(reinterpret_cast<RawFn>(resolve(fn)), r, result_);
    } catch (...) {
      result_.truncate(at + kFrameHeader + sizeof id);
      write_current_exception(result_);
    }
    finish_frame(result_, at, result_.fds().size());

    std::unique_lock lock(out_m_);
    out_.write(result_.bytes().data(), result_.bytes().size());
    for (const int fd : result_.fds()) out_.add_fd(fd);
    if (out_.size() >= (64u << 10)) {
      flush_locked();
      return;
    }
    if (!complete_frame()) return;  // serve() flushes before it reads
    if (pending_since_ns_ != 0) return;
    pending_since_ns_ = now_ns();
    if (!flusher_.joinable()) {
      flusher_ = std::thread([this] { flusher(); });
    } else {
      lock.unlock();
      out_cv_.notify_one();
    }
  }

  // Python's Process: exit status 0, or 1 after printing the exception that escaped.
  int run_process(std::span<const std::byte> payload, std::vector<int> fds) {
    Reader r(payload, std::move(fds));
    std::string name;
    Writer out;
    try {
      weft::deserialize(r, name);
      const CodeRef tramp = read_code_ref(r);
      const CodeRef fn = read_code_ref(r);
      const auto t = reinterpret_cast<Trampoline>(resolve(tramp));
      t(reinterpret_cast<RawFn>(resolve(fn)), r, out);
    } catch (...) {
      out.clear();
      write_current_exception(out);
    }
    Reader result(out.bytes());
    std::uint8_t status = 0;
    result.read(&status, 1);
    if (status == 0) return 0;
    std::string type;
    std::string what;
    weft::deserialize(result, type);
    weft::deserialize(result, what);
    std::fprintf(stderr, "Process %s: %s: %s\n", name.c_str(), type.c_str(), what.c_str());
    return 1;
  }

  // Appends what the socket has (blocking until something arrives). 0 at EOF, -1 on error.
  int receive() {
    ssize_t n;
    do {
      n = receive_some(fd_, in_, fds_, 0);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? 1 : static_cast<int>(n);
  }

  int fd_;
  std::vector<std::byte> in_;
  std::size_t pos_ = 0;
  std::deque<int> fds_;
  Writer result_;  // the task being answered, built without the lock
  std::mutex out_m_;
  std::condition_variable out_cv_;
  Writer out_;                         // results not sent yet (guarded by out_m_)
  std::int64_t pending_since_ns_ = 0;  // when the oldest of them was deferred; 0: none
  bool stop_ = false;
  std::thread flusher_;  // started at the first deferral
};

void flush_stdio() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

// Runs in every process of this executable during static initialization; in a worker it never
// returns. It is a dynamic initializer of this translation unit, which lives in libweft.a:
// the linker places the initializers of objects named before the library (the program's own)
// earlier in .init_array, and shared libraries are initialized before the executable, so the
// program's globals are ready when a task runs. (weft's own translation units have no dynamic
// initializers.)
bool run_worker_if_requested() {
  const char* fd_text = std::getenv("WEFT_WORKER_FD");
  if (fd_text == nullptr) return false;
  const int fd = std::atoi(fd_text);
  const char* parent_text = std::getenv("WEFT_WORKER_PARENT");
  const pid_t parent = parent_text != nullptr ? static_cast<pid_t>(std::atol(parent_text)) : 0;
  // Children of the worker (a task may start processes) are ordinary programs again.
  ::unsetenv("WEFT_WORKER_FD");
  ::unsetenv("WEFT_WORKER_PARENT");
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  // Never an orphan: killed when the parent goes, and gone already if it went before this line.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kProtocolError);
  int code = kProtocolError;
  try {
    code = WorkerLoop(fd).serve();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft worker: %s\n", e.what());
  }
  flush_stdio();
  ::_exit(code);
}

[[maybe_unused]] const bool worker_hook = run_worker_if_requested();

}  // namespace

// ---- Public (detail) functions --------------------------------------------------------------

CodeRef code_ref(const void* address) {
  const auto x = reinterpret_cast<std::uintptr_t>(address);
  const Range& main = main_program();
  if (x >= main.lo && x < main.hi) return CodeRef{x - main.bias, {}};
  for (const Range& r : loaded_objects()) {
    if (x >= r.lo && x < r.hi) return CodeRef{x - r.bias, r.name};
  }
  throw UsageError("weft: a task's function is in no loaded object");
}

void write_code_ref(Writer& w, const void* address) {
  const CodeRef ref = code_ref(address);
  weft::serialize(w, ref.offset);
  weft::serialize(w, ref.object);
}

std::string current_exception_type() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  if (t == nullptr) return "unknown exception";
  return demangle(t->name());
}

std::string current_exception_what() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return {};
  }
}

void write_current_exception(Writer& out) {
  const std::string what = current_exception_what();
  const std::uint8_t failed = 1;
  out.write(&failed, 1);
  weft::serialize(out, current_exception_type());
  weft::serialize(out, what);
}

std::optional<FrameView> next_frame(std::span<const std::byte> in) {
  if (in.size() < kFrameHeader) return std::nullopt;
  FrameHeader h;
  std::memcpy(&h, in.data(), sizeof h);
  if (in.size() - kFrameHeader < h.bytes) return std::nullopt;
  return FrameView{h.kind, h.fds, in.subspan(kFrameHeader, h.bytes)};
}

std::size_t begin_frame(Writer& w, FrameKind kind) {
  const std::size_t at = w.size();
  const FrameHeader h{0, 0, static_cast<std::uint8_t>(kind), 0};
  w.write(&h, sizeof h);
  return at;
}

void finish_frame(Writer& w, std::size_t at, std::size_t nfds) {
  const std::size_t bytes = w.size() - at - kFrameHeader;
  if (bytes > 0xffffffffu) throw SerializationError("weft: a message is larger than 4 GiB");
  if (nfds > 0xffffu || nfds > (bytes + kFrameHeader) * kMaxFdsPerMessage) {
    throw SerializationError("weft: a message carries too many descriptors (" +
                             std::to_string(nfds) + ")");
  }
  const auto b = static_cast<std::uint32_t>(bytes);
  const auto n = static_cast<std::uint16_t>(nfds);
  w.patch(at, &b, sizeof b);
  w.patch(at + 4, &n, sizeof n);
}

Child spawn_worker() {
  // Still set: this is a worker running the program's static initializers, before its hook.
  // Starting processes there would re-run in every worker, recursively.
  if (std::getenv("WEFT_WORKER_FD") != nullptr) {
    throw UsageError(
        "weft: Process / ProcessPoolExecutor started from a static initializer (workers re-run "
        "the program's static initializers): start them from main()");
  }
  static Spawner* spawner = new Spawner;
  return spawner->spawn();
}

ssize_t send_some(int fd, std::span<const std::byte> bytes, std::span<const int> fds, int flags,
                  std::size_t& fds_sent) {
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFdsPerMessage * sizeof(int))];
  const std::size_t nfds = std::min(fds.size(), kMaxFdsPerMessage);
  // More descriptors than one sendmsg carries: these go with a single byte, so that the rest
  // ride on the bytes right after it and every descriptor arrives no later than its frame's
  // last byte (finish_frame keeps a frame at least one byte per batch of descriptors long).
  if (fds.size() > kMaxFdsPerMessage) iov.iov_len = std::min<std::size_t>(bytes.size(), 1);
  if (nfds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), nfds * sizeof(int));
  }
  const ssize_t n = ::sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
  fds_sent = n > 0 ? nfds : 0;
  return n;
}

ssize_t receive_some(int fd, std::vector<std::byte>& in, std::deque<int>& fds, int flags) {
  const std::size_t old = in.size();
  in.resize(old + kReceiveChunk);
  iovec iov{in.data() + old, kReceiveChunk};
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFdsPerMessage * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);
  const int saved = errno;
  in.resize(old + (n > 0 ? static_cast<std::size_t>(n) : 0));
  if (n <= 0) {
    errno = saved;
    return n;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
      fds.push_back(received);
    }
  }
  if ((msg.msg_flags & MSG_CTRUNC) != 0) {
    errno = EPROTO;
    return -1;
  }
  return n;
}

bool send_all(int fd, std::span<const std::byte> bytes, const std::vector<int>& fds) {
  std::size_t done = 0;
  std::size_t fds_done = 0;
  while (done < bytes.size()) {
    std::size_t sent_fds = 0;
    const ssize_t n = send_some(fd, bytes.subspan(done),
                                std::span<const int>(fds).subspan(fds_done), 0, sent_fds);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
    fds_done += sent_fds;
  }
  return fds_done == fds.size() || bytes.empty();
}

int wait_exitcode(pid_t pid) {
  int status = 0;
  if (wait_child(pid, &status) < 0) return -1;
  return exit_code_of(status);
}

bool try_wait_exitcode(pid_t pid, int& code) {
  int status = 0;
  if (wait_child(pid, &status, WNOHANG) <= 0) return false;
  code = exit_code_of(status);
  return true;
}

}  // namespace weft::detail::proc
