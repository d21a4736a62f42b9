// Harness: the scenario CLI's argument parsing (tools/src/options.cpp) on any arguments. The
// first byte picks the command (explore, replay, run), the rest are its arguments, one per
// line. Each is parsed as `prog COMMAND ARGS...` parses it, the glob or name matched against
// the scenarios below: a UsageFailure (exit status 2 in the CLI) or arguments, never a crash.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <weft/scenario.hpp>

#include "options.hpp"

// Never run: names for the globs and the replay NAME to match.
WEFT_SCENARIO("fuzz: one") {}
WEFT_SCENARIO("fuzz: two [x]") {}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The parsers' warnings (a flag the strategy ignores) would be most of the run's time.
  static const bool quiet = [] {
    std::cerr.rdbuf(nullptr);
    return true;
  }();
  (void)quiet;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> args;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    args.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  try {
    switch (data[0] % 3) {
      case 0: {
        const weft::cli::ExploreArgs a = weft::cli::parse_explore_args(args);
        (void)weft::cli::matching(a.glob);
        break;
      }
      case 1: {
        const weft::cli::ReplayArgs a = weft::cli::parse_replay_args(args);
        (void)weft::cli::scenario_named(a.scenario);
        break;
      }
      default: {
        const weft::cli::RunArgs a = weft::cli::parse_run_args(args);
        (void)weft::cli::matching(a.glob);
        break;
      }
    }
  } catch (const weft::cli::UsageFailure&) {
  }
  return 0;
}
