#include "json_report_writer.hpp"

#include <weft/report_json.hpp>

#include <nlohmann/json.hpp>

namespace weft::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& value) {
  // Scenario names and paths need not be valid UTF-8: the report must still be written.
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

// `jobs` is left out on purpose: the report is the same for any number of workers, and so must
// be the document, so that two runs' files can be compared byte for byte. `isolate` is always
// on in the CLI and `progress` is the terminal's.
Json explore_options(const ExploreArgs& args) {
  const Options& o = args.options;
  Json j = Json::object();
  j["strategy"] = to_string(o.strategy);
  j["iterations"] = o.iterations;
  j["seed"] = o.seed;
  j["pct_depth"] = o.pct_depth;
  j["preemption_bound"] = o.preemption_bound;
  j["max_steps"] = o.max_steps;
  j["time_budget_s"] = o.time_budget_s;
  j["stop_on_first_bug"] = o.stop_on_first_bug;
  j["shared_points"] = o.shared_points == SharedPoints::Racy ? "racy" : "all";
  j["memory_model"] = to_string(o.memory_model);
  j["shrink"] = o.shrink;
  j["stack_size"] = o.stack_size;
  j["spurious_wakeups"] = o.spurious_wakeups;
  j["checkers"] = o.checkers;
  j["hang_timeout_s"] = o.hang_timeout_s;
  j["internal_steps"] = o.internal_steps;
  j["schedule_dir"] = args.schedule_dir.string();
  // Only a shard says which it is: merge drops it, and the merged document is the unsharded one.
  if (o.shard_count > 1) {
    j["shard"] = Json{{"index", o.shard_index}, {"count", o.shard_count}};
  }
  return j;
}

Json replay_options(const ReplayArgs& args) {
  Json j = Json::object();
  j["schedule_file"] = args.schedule_file;
  j["continue"] = args.continue_run;
  j["hang_timeout_s"] = args.hang_timeout_s;
  j["internal_steps"] = args.internal_steps;
  return j;
}

// The frame is written here and every value in it by nlohmann; each scenario's report object
// comes already serialized from the library (weft::detail::report_json_object), so it is
// spliced in as text rather than parsed back into a tree only to be written out again.
std::string document(const char* command, const Json& options,
                     const std::vector<JsonScenario>& scenarios) {
  std::string out =
      "{\"format\":\"weft-report\",\"version\":" + std::to_string(report_json_version) +
      ",\"command\":" + dump(command) + ",\"options\":" + dump(options) + ",\"scenarios\":[";
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const JsonScenario& s = scenarios[i];
    Json files = Json::array();
    for (const std::optional<std::string>& f : s.schedule_files) {
      files.push_back(f ? Json(*f) : Json(nullptr));
    }
    if (i > 0) out += ',';
    out += "{\"name\":" + dump(s.name) + ",\"schedule_files\":" + dump(files) +
           ",\"report\":" + s.report + "}";
  }
  return out + "]}\n";
}

}  // namespace

std::string explore_report_json(const ExploreArgs& args,
                                const std::vector<JsonScenario>& scenarios) {
  return document("explore", explore_options(args), scenarios);
}

std::string replay_report_json(const ReplayArgs& args, const JsonScenario& scenario) {
  return document("replay", replay_options(args), {scenario});
}

}  // namespace weft::cli
