// weft/report_json.hpp — a Report as JSON, for tools: CI dashboards, bots, editors.
//
// The shape is documented field by field in docs/REFERENCE.md and versioned: "version" changes
// when a field is removed or changes meaning; fields may be added within a version, so a reader
// should ignore keys it does not know.
#pragma once

#include <functional>
#include <string>

#include <weft/explore.hpp>

namespace weft {

// The "version" the documents written by this weft carry.
inline constexpr int report_json_version = 1;

// The whole report: {"format": "weft-report", "version": 1, "strategy", "seed", ...}, compact,
// keys in a fixed order, no trailing newline; the same report gives the same bytes. Each bug's
// "steps" are its Bug::steps, null for a bug without (a Crash or Hang, whose run was recorded in
// a child process; the text "trace" is there either way).
std::string to_json(const Report& report);
// The same with each bug's "steps" filled in: a bug without Bug::steps has its schedule replayed
// once through `body`
// (trace_steps; a Crash or Hang bug's in a child process, as it may crash or hang again), and
// bugs found by one schedule share that replay. `body` must be the one the report came from.
std::string to_json(const Report& report, const std::function<void()>& body);

}  // namespace weft
