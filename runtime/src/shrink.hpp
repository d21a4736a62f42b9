// shrink.hpp — minimising a bug's schedule before it is reported (Options::shrink).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <weft/schedule.hpp>

#include "execution.hpp"

namespace weft::detail {

struct Shrunk {
  std::vector<Schedule::Decision> decisions;  // a run of these has the bug
  std::uint64_t fingerprint = 0;
  std::uint64_t steps_before = 0;
  std::uint64_t steps_after = 0;
  std::uint32_t preemptions_before = 0;
  std::uint32_t preemptions_after = 0;
  std::uint64_t runs = 0;  // candidate schedules tried
};

// Whether shrinking applies to bugs of this kind: not to those whose run ends its process
// (Crash, Hang), runs to the step limit, or is made of several schedules (a lock-order cycle
// may close over edges of earlier ones).
bool shrinkable(BugKind kind);

// Whether `b` is the same bug as `target` for shrinking and confirming: the same kind, the same
// sites (the checkers' key) and the same message once the values in it are set aside (a shorter
// schedule may fail the same assertion with another value, or deadlock other threads on the
// same locks).
bool same_bug(const PendingBug& b, const PendingBug& target);

// The schedule of fewest preemptions, then fewest steps, that still has `bug`, found from
// `decisions` by moving whole stretches of one thread's steps (next to an earlier stretch of
// the same thread, which removes a switch; or to the end, which removes steps the bug does not
// need), each candidate run under `ex`. Deterministic: a bounded number of candidates in a
// fixed order, never a clock. nullopt when the schedule does not reproduce the bug.
std::optional<Shrunk> shrink_schedule(const std::function<void()>& body, Execution& ex,
                                      const std::vector<Schedule::Decision>& decisions,
                                      const PendingBug& bug);

}  // namespace weft::detail
