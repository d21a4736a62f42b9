// The Chrome Trace Event JSON that --chrome-trace writes, for Perfetto or chrome://tracing.
#pragma once

#include <string>
#include <vector>

#include <weft/explore.hpp>

namespace weft::cli {

// One schedule of one scenario, as its steps.
struct ChromeTraceScenario {
  std::string name;
  std::vector<TraceStep> steps;
};

// One process (pid) per scenario, named after it; in each, one lane (tid) per model thread, one
// slice per operation in schedule order (each step is one microsecond of "time"), blocked
// operations marked. Ends with a newline.
std::string chrome_trace_json(const std::vector<ChromeTraceScenario>& scenarios);
std::string chrome_trace_json(const std::string& scenario, const std::vector<TraceStep>& steps);
// What --chrome-trace writes when there is no schedule to show.
std::string empty_chrome_trace_json();

}  // namespace weft::cli
