// What the CLI's commands are given, checked: flags, WEFT_* environment variables, the scenarios
// named, and output paths. Every mistake is a UsageFailure (one line on stderr, exit status 2),
// raised before anything is explored, replayed or run.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <weft/explore.hpp>
#include <weft/scenario.hpp>

namespace weft::cli {

struct UsageFailure {
  std::string message;
};

using Args = std::vector<std::string_view>;

struct ExploreArgs {
  Options options;
  std::string glob;  // empty: every scenario
  std::string junit;
  std::string chrome_trace;
  std::string json;
  std::string html;
  std::filesystem::path schedule_dir = "weft-schedules";
};
// Applies the WEFT_* environment first, so that flags win.
ExploreArgs parse_explore_args(const Args& args);

struct ReplayArgs {
  std::string scenario;
  std::string schedule_file;
  std::string chrome_trace;
  std::string json;
  std::string html;
  // Replay in this process instead of a child: for a debugger, which would otherwise stop in
  // the parent and show no stack of the crash.
  bool in_process = false;
  // The watchdog of the replay in a child: a schedule that stops reaching weft operations for
  // this long is ended, with its trace so far (0: never).
  double hang_timeout_s = Options{}.hang_timeout_s;
  // Traces show the steps inside weft's pools and futures too.
  bool internal_steps = false;
  // Follow the schedule while it fits the body, then explore on (weft::replay_continue): a
  // schedule recorded before an edit of the body still leads to its bug.
  bool continue_run = false;
  const char* argv0 = "";  // for the replay command printed
};
ReplayArgs parse_replay_args(Args args);

struct RunArgs {
  std::string glob;
  double timeout_s = 60;
};
RunArgs parse_run_args(const Args& args);

// The scenarios whose names match `glob` (fnmatch; empty: all), never none.
std::vector<const Scenario*> matching(std::string_view glob);
const Scenario& scenario_named(std::string_view name);
// `what`: "explored" or "replayed".
void refuse_production_only(const Scenario& s, const char* what);

// Output paths are checked before anything is explored: a typo must cost no exploration, and a
// bug must never be reported without the schedule that exit status 1 promises.
void check_output_paths(const ExploreArgs& args);
void check_output_file(std::string_view flag, const std::string& path);

// Returns why `text` could not be written to `path`, or an empty string.
std::string write_file(const std::string& path, const std::string& text);

}  // namespace weft::cli
