// weft/detail/subprocess.hpp — worker processes for Process and ProcessPoolExecutor. Not a
// public API.
//
// Workers are this same executable, re-executed (/proc/self/exe) with WEFT_WORKER_FD naming an
// inherited socket. An ELF constructor in subprocess.cpp sees the variable, serves the socket
// and _exits: the worker never reaches main(). Re-exec rather than fork() because fork() in a
// process that already has threads copies only the calling thread (a lock held by another
// thread stays held forever in the child).
//
// A function crosses as its offset from the start of the object (executable or shared library)
// that contains it: ASLR loads the object at another address in the worker. A task is
// (trampoline offset, function offset, serialized arguments); the trampoline is
// trampoline<R, P...>, which decodes the arguments, calls, and encodes the result or exception.
//
// Wire format: a stream socket carrying frames {u32 payload bytes, u16 fds, u8 kind, u8 0}
// + payload. File descriptors travel as SCM_RIGHTS with the bytes of the frame that owns them
// (or earlier); the receiver queues them in arrival order and each frame takes its count.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <weft/errors.hpp>
#include <weft/serialize.hpp>

namespace weft {

namespace detail {
class WaitHelper;
class FutureStateBase;
}  // namespace detail

namespace detail::proc {

using RawFn = void (*)();
// Decodes arguments from `in`, runs `fn`, appends to `out` u8 0 + the encoded result, or u8 1 +
// type name + what() of the exception that escaped (decoding errors included).
using Trampoline = void (*)(RawFn fn, Reader& in, Writer& out);

// Where code lives, independent of the load address: object "" is the main executable.
struct CodeRef {
  std::uint64_t offset = 0;
  std::string object;
};
CodeRef code_ref(const void* address);
void write_code_ref(Writer&, const void* address);

// Appends u8 1, the demangled type and the what() of the exception being handled.
void write_current_exception(Writer& out);
// "std::runtime_error" for the exception being handled.
std::string current_exception_type();
// Its what(), or "" if it is not a std::exception.
std::string current_exception_what();

enum class FrameKind : std::uint8_t { Task = 1, Result = 2, RunProcess = 3 };
inline constexpr std::size_t kFrameHeader = 8;

// Reserves a frame header in `w`; finish_frame fills it in once the payload is written.
std::size_t begin_frame(Writer& w, FrameKind kind);
void finish_frame(Writer& w, std::size_t at, std::size_t nfds);

// A frame as received: the kind byte as sent (not checked here), how many of the descriptors
// queued so far it owns, and its payload.
struct FrameView {
  std::uint8_t kind = 0;
  std::uint16_t fds = 0;
  std::span<const std::byte> payload;
};
// The frame at the start of `in` (a stream's bytes not yet consumed), or nothing while its
// header or payload has not all arrived. The one decoder of frame headers, for the worker and
// the pool alike: its input is whatever came through a socket.
std::optional<FrameView> next_frame(std::span<const std::byte> in);

template <class P>
decltype(auto) pass(std::decay_t<P>& a) {
  if constexpr (std::is_lvalue_reference_v<P>) {
    return (a);
  } else {
    return std::move(a);
  }
}

template <class R, class... P>
void trampoline(RawFn raw, Reader& in, Writer& out) {
  const std::size_t mark = out.size();
  try {
    auto fn = reinterpret_cast<R (*)(P...)>(raw);
    std::tuple<std::decay_t<P>...> args;
    std::apply([&](auto&... a) { (weft::deserialize(in, a), ...); }, args);
    const std::uint8_t ok = 0;
    if constexpr (std::is_void_v<R>) {
      std::apply([&](auto&... a) { fn(pass<P>(a)...); }, args);
      out.write(&ok, 1);
    } else {
      std::decay_t<R> result = std::apply([&](auto&... a) { return fn(pass<P>(a)...); }, args);
      out.write(&ok, 1);
      weft::serialize(out, result);
    }
  } catch (...) {
    out.truncate(mark);
    write_current_exception(out);
  }
}

// A submitted task as the pool sees it; ProcessPoolExecutor implements it over a Promise.
class Job {
 public:
  virtual ~Job() = default;
  // Pending -> Running, when the task is handed to a worker. False: it was cancelled (it is
  // then dropped, never sent).
  virtual bool start() = 0;
  virtual void cancel() = 0;
  // The worker's answer: u8 0 + result, or u8 1 + type name + what().
  virtual void complete(Reader& answer) = 0;
  virtual void fail(std::exception_ptr error) = 0;

  // The future's state, for a thread that waits on it and reads the worker's results itself.
  const FutureStateBase* state = nullptr;
};

class ProcessPoolCore;
// The production side of a ProcessPoolExecutor: `workers` processes (started at the first
// submit), one I/O thread that feeds them and reads their results.
std::shared_ptr<ProcessPoolCore> make_pool(std::size_t workers);
// `frame` is a Task frame (begin_frame ... finish_frame) whose payload starts with a u64 task
// id to be filled in. Throws BrokenProcessPool, or std::runtime_error after shutdown.
void pool_submit(ProcessPoolCore&, std::unique_ptr<Job> job, Writer&& frame);
void pool_shutdown(ProcessPoolCore&, bool wait, bool cancel_futures);
// What a pool's futures call before their waiting thread sleeps.
std::weak_ptr<WaitHelper> pool_helper(const std::shared_ptr<ProcessPoolCore>&);

// A live child process running this executable as a worker. The pid is reaped by its owner.
struct Child {
  pid_t pid = -1;
  int fd = -1;     // our end of the socket (close-on-exec, blocking)
  int pidfd = -1;  // readable once the child has exited; -1 if the kernel has no pidfd_open
};
// Starts a worker. Done by one long-lived library thread: PR_SET_PDEATHSIG fires when the
// *thread* that created the child exits, and a worker must outlive the thread that asked for it.
Child spawn_worker();

// One sendmsg of `bytes` with up to 253 of `fds` attached (SCM_MAX_FD); `flags` as for
// sendmsg (MSG_NOSIGNAL is added). Returns what sendmsg returned; `fds_sent` is how many
// descriptors went with it (they are then the receiver's; ours stay open).
ssize_t send_some(int fd, std::span<const std::byte> bytes, std::span<const int> fds, int flags,
                  std::size_t& fds_sent);
// One recvmsg appending up to 64 KiB to `in` and the descriptors that came with it to `fds`.
// Returns what recvmsg returned; -1 with errno EPROTO if descriptors were cut off.
ssize_t receive_some(int fd, std::vector<std::byte>& in, std::deque<int>& fds, int flags);
inline constexpr std::size_t kReceiveChunk = 64u << 10;

// Sends all of `bytes` with `fds` attached (blocking). false if the peer is gone.
bool send_all(int fd, std::span<const std::byte> bytes, const std::vector<int>& fds);

// Waits for `pid` (EINTR-safe) and returns Python's exitcode: the exit status, or -N for
// signal N.
int wait_exitcode(pid_t pid);
// As above without blocking: nullopt while it runs.
bool try_wait_exitcode(pid_t pid, int& code);

}  // namespace detail::proc
}  // namespace weft
