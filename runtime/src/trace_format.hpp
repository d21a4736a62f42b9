// trace_format.hpp — the trace an execution records when it re-runs a schedule for a report,
// and its formatting: the table in a bug's trace, the steps of a visualisation, the note on an
// operation that blocked. Formatting works on a read-only view of the recorded entries, so the
// execution only records and the wording of traces lives in one place.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <weft/detail/checker.hpp>
#include <weft/detail/model.hpp>
#include <weft/explore.hpp>

namespace weft::detail {

struct TraceEntry {
  ThreadId thread = 0;
  OpKind kind = OpKind::Other;
  bool blocked = false;  // the thread blocked here (waits for the object)
  ObjectId object = kNoObject;
  Location where{};
  std::string value;
  std::vector<void*> stack;      // when `where` cannot name the user's line (recording only)
  bool internal = false;         // on one of weft's own objects (a pool's lock): folded
  ThreadId spawned = kNoThread;  // a spawn's new thread, named as it is at the end
};

// The table of a bug's trace: one row per operation (the last 400), with aligned columns.
// Operations on weft's own objects are left out (and counted) unless `internal` is set.
std::string format_trace(std::span<const TraceEntry> trace, const Names& names,
                         bool internal = false);

// The same operations as TraceStep values, for visualisations.
std::vector<TraceStep> format_steps(std::span<const TraceEntry> trace, const Names& names,
                                    bool internal = false);

// Appends why an operation blocked to its traced value: "(blocks: held by T2, deadline 5ms)".
// `holder`: the thread that holds the object waited for, if that is what it waits for (else
// empty); a deadline < 0 is none, and without an object the wait is a sleep until it.
void append_block_note(std::string& value, std::string_view holder, bool on_object,
                       std::int64_t deadline);

}  // namespace weft::detail
