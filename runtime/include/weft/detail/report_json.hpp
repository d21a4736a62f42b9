// weft/detail/report_json.hpp — the pieces of weft::to_json that the CLI's --json reuses to put
// several scenarios' reports in one document. Not a public API.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <weft/explore.hpp>

namespace weft::detail {

// One entry per bug of a report, in its order: the bug's steps, or none where they are not known.
using BugSteps = std::vector<std::optional<std::vector<TraceStep>>>;

// Bug::steps of each bug that has them (recorded when it was found), none for the others.
BugSteps recorded_steps(const Report& report);

// recorded_steps, and for the bugs without: replays each distinct schedule once; Crash and Hang
// schedules in a child process stopped after `hang_timeout_s` without progress (see
// trace_steps_in_child). A schedule recorded for another body (ScheduleError) leaves its bugs'
// steps unknown.
BugSteps bug_steps(const Report& report, const std::function<void()>& body, double hang_timeout_s);

// The report object as compact JSON: the fields of to_json's document without "format" and
// "version" (the CLI's document nests it under each scenario). `steps` may be empty (every
// bug's steps unknown) or have one entry per bug.
std::string report_json_object(const Report& report, const BugSteps& steps);

}  // namespace weft::detail
