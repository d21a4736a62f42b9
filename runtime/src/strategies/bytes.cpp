// Bytes: every decision read from a byte string, the input of a libFuzzer target
// (<weft/fuzz.hpp>). libFuzzer mutates bytes, not schedules, so the mapping is the plainest one
// that makes every byte string a valid schedule: a thread pick is the next byte modulo the number
// of runnable threads, a choice the next byte (four for a range above 256) modulo its range.
// Once the bytes run out a fixed rule decides, the same for every input: the running thread goes
// on (after a yield, the next runnable thread above it, cyclically, so that a spin loop lets the
// others run instead of running into the step limit), else the lowest runnable id; choices 0.
// Short inputs therefore mean few preemptions, which is where libFuzzer starts.
#include <algorithm>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

class ByteScheduler final : public Scheduler {
 public:
  explicit ByteScheduler(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool begin_execution(std::uint64_t) override {
    next_ = 0;
    return true;
  }
  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    const auto n = static_cast<std::uint32_t>(runnable.size());
    if (next_ < bytes_.size()) return runnable[bytes_[next_++] % n];
    const auto at = std::lower_bound(runnable.begin(), runnable.end(), current);
    const bool current_runs = at != runnable.end() && *at == current;
    if (current_runs && !(yielding && n > 1)) return current;
    if (current_runs) return at + 1 == runnable.end() ? runnable.front() : *(at + 1);
    return runnable.front();
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    std::uint32_t v = 0;
    const int width = bound > 256 ? 4 : 1;
    for (int k = 0; k < width && next_ < bytes_.size(); ++k) v = v << 8 | bytes_[next_++];
    return v % bound;
  }
  std::string name() const override { return "libfuzzer"; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_byte_scheduler(std::span<const std::uint8_t> bytes) {
  return std::make_unique<ByteScheduler>(bytes);
}

}  // namespace weft::detail
