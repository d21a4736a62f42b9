// wire.hpp — what worker processes send back to the exploring process: one record per
// schedule (its bugs and new lock-order edges, no trace), then an end marker. Plus the shared
// mapping through which a crashed worker's decisions survive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "execution.hpp"

namespace weft::detail {

struct WireRecord {
  bool end = false;
  std::uint64_t iteration = 0;
  RunResult result;
  // End marker: the strategy had no schedule left (DFS covered the space), and the decisions
  // of the last schedule the worker ran (iteration = its number, 0 if it ran none).
  bool exhausted = false;
  std::vector<Schedule::Decision> last;
};

// Records are appended to a buffer and written in batches: one write per schedule was a
// system call per few microseconds of work.
void append_record(std::string& out, std::uint64_t iteration, const RunResult& r);
// A run without bugs (and whose lock-order edges close no cycle): the exploring process needs
// nothing of it but that it ran.
void append_clean(std::string& out, std::uint64_t iteration);
void append_end(std::string& out, bool exhausted, std::uint64_t last_iteration,
                const std::vector<Schedule::Decision>& last);
// Writes all of `bytes` to the pipe `fd` and empties it; throws std::system_error.
void write_out(int fd, std::string& bytes);

// Buffers a pipe's bytes and cuts them into records.
class WireReader {
 public:
  // Reads what is available; false at end of file (or on error).
  bool fill(int fd);
  // Appends bytes as if read (fill's buffer; the parser harness's input).
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  std::optional<WireRecord> next();

 private:
  std::string buffer_;
  std::size_t at_ = 0;
};

// Anonymous memory shared with the processes forked after it.
class SharedMapping {
 public:
  explicit SharedMapping(std::size_t bytes);
  ~SharedMapping();
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  void* data() const noexcept { return data_; }

 private:
  void* data_;
  std::size_t bytes_;
};

}  // namespace weft::detail
