// The JSON report that explore --json and replay --json write: the library's report object
// (weft::to_json's fields) for each scenario, in one document with the command's settings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "options.hpp"

namespace weft::cli {

struct JsonScenario {
  std::string name;
  std::string report;  // detail::report_json_object
  // One per bug of the report, in its order: the file its schedule was saved to (bugs of one
  // schedule share it), none where it could not be saved.
  std::vector<std::optional<std::string>> schedule_files;
};

// {"format":"weft-report","version":1,"command":"explore","options":{...},"scenarios":[...]},
// ending with a newline.
std::string explore_report_json(const ExploreArgs& args,
                                const std::vector<JsonScenario>& scenarios);
// The same with "command":"replay", the replay's settings, and its one scenario.
std::string replay_report_json(const ReplayArgs& args, const JsonScenario& scenario);

}  // namespace weft::cli
