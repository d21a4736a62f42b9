// weft/detail/report_html.hpp — the page of weft::to_html for several scenarios at once, as the
// CLI's --html writes it. Not a public API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <weft/detail/report_json.hpp>
#include <weft/explore.hpp>

namespace weft::detail {

struct HtmlScenario {
  std::string name;  // "" for the library's single report
  Report report;
  // One per bug, or empty: steps to show where the bug has none of its own (a Crash's, replayed
  // in a child process by bug_steps).
  BugSteps steps;
  // One per bug, or empty: the command that replays it.
  std::vector<std::optional<std::string>> replay;
  // A report without bugs: the steps of a run to show instead (replay's schedule), if any.
  std::optional<std::vector<TraceStep>> run;
};

std::string html_page(const std::vector<HtmlScenario>& scenarios);

}  // namespace weft::detail
