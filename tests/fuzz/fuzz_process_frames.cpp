// Harness: the process pool's wire decoding, on any bytes from a worker's socket. The stream is
// cut into frames by detail::proc::next_frame (the one decoder of frame headers, for worker and
// pool alike), each frame taking its descriptors from those queued (as many as the input's
// first byte says arrived); a frame claiming more than arrived is a protocol error. Each
// payload is then decoded as the pool decodes a worker's answer: a task id, then PromiseJob's
// decoding of a result (a std::vector<std::string> here) or of an exception's type and message.
// Every outcome is a frame, a protocol error or a failed future, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <weft/detail/subprocess.hpp>
#include <weft/errors.hpp>
#include <weft/future.hpp>
#include <weft/process_pool.hpp>

using Result = std::vector<std::string>;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t fds_queued = data[0];
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  while (const std::optional<weft::detail::proc::FrameView> f =
             weft::detail::proc::next_frame(in)) {
    if (f->payload.data() != in.data() + weft::detail::proc::kFrameHeader) std::abort();
    in = in.subspan(weft::detail::proc::kFrameHeader + f->payload.size());
    if (f->fds > fds_queued) return 0;  // the worker's kProtocolError
    fds_queued -= f->fds;
    weft::Promise<Result> promise;
    weft::detail::proc::PromiseJob<Result> job(promise);
    weft::Reader answer(f->payload);
    try {
      std::uint64_t id = 0;
      answer.read(&id, sizeof id);
      if (!job.start()) std::abort();
      job.complete(answer);
    } catch (...) {
      job.fail(std::current_exception());
    }
    weft::Future<Result> future = promise.get_future();
    if (!future.done()) std::abort();
    try {
      (void)future.get();
    } catch (const weft::RemoteError&) {
    } catch (const weft::SerializationError&) {
    }
  }
  return 0;
}
