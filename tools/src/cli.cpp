// The scenario CLI behind weft::main: its usage text, and the dispatch to the commands in
// commands/ with the one place that turns their errors into a line on stderr and exit status 2.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.hpp"

namespace weft::detail {
namespace {

constexpr const char* kUsage =
    "usage: %s <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  list                     list the scenarios of this binary\n"
    "  explore [GLOB] [options] explore every scenario matching GLOB (default: all)\n"
    "      --strategy S                    portfolio (default), random, pct, pos, dfs or fuzz\n"
    "      --iterations N                  schedules per scenario (default 1000; up to 10^18)\n"
    "      --seed S                        (default 0)\n"
    "      --pct-depth D                   PCT only (default 3; up to 1000)\n"
    "      --preemption-bound B            DFS only (default -1: unbounded; up to 10^9). Without\n"
    "                                      a bound DFS rarely finishes on programs with pools\n"
    "                                      or many threads: try 1 or 2\n"
    "      --max-steps N                   per schedule (default 100000; up to 10^18)\n"
    "      --time-budget SECONDS           per scenario (default 0: none)\n"
    "      --hang-timeout SECONDS          end a schedule that reaches no weft operation for\n"
    "                                      this long as a Hang bug (default 10; 0: never)\n"
    "      --jobs J                        worker processes, up to 1024 (default 1; same report\n"
    "                                      for any J)\n"
    "      --shard I/N                     run the schedules i with i %% N == I of this run (also\n"
    "                                      GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS, or\n"
    "                                      TEST_SHARD_INDEX/TEST_TOTAL_SHARDS); not with dfs\n"
    "      --schedule-dir DIR              where bug schedules go (default weft-schedules)\n"
    "      --junit FILE                    write a JUnit XML report\n"
    "      --chrome-trace FILE             write each failing scenario's schedule (or the last\n"
    "                                      one) as a Chrome trace\n"
    "      --json FILE                     write the whole report as JSON (every scenario,\n"
    "                                      each bug with its schedule, steps and trace)\n"
    "      --html FILE                     write the report as one self-contained web page (a\n"
    "                                      lane per thread, the bug's sites joined by arrows)\n"
    "      --all-bugs                      keep exploring after the first bug\n"
    "      --spurious-wakeups              let CondVar waits wake without a notify\n"
    "      --no-checkers                   no race, lost-update or lock-order checking\n"
    "      --no-shrink                     report each bug's schedule as found, not minimised\n"
    "      --shared-points racy|all        Shared<T> accesses that are scheduling points: those\n"
    "                                      of variables seen racing (default), or all\n"
    "      --memory-model c11|sc           Atomic<T> memory orders honoured (default), or\n"
    "                                      every atomic operation seq_cst\n"
    "      --stack-size BYTES              per model thread (default 262144; at least 16384)\n"
    "      --internal-steps                traces show the steps inside weft's pools and\n"
    "                                      futures too (folded by default)\n"
    "      environment (flags win): WEFT_STRATEGY, WEFT_ITERATIONS, WEFT_SEED, WEFT_PCT_DEPTH,\n"
    "      WEFT_PREEMPTION_BOUND, WEFT_MAX_STEPS, WEFT_TIME_BUDGET, WEFT_HANG_TIMEOUT, WEFT_JOBS,\n"
    "      WEFT_SHARED_POINTS, WEFT_MEMORY_MODEL, WEFT_STACK_SIZE, WEFT_SCHEDULE_DIR, and\n"
    "      WEFT_SPURIOUS_WAKEUPS,\n"
    "      WEFT_NO_CHECKERS, WEFT_ALL_BUGS, WEFT_INTERNAL_STEPS, WEFT_NO_SHRINK (1 or 0)\n"
    "  replay NAME SCHEDULE_FILE [--continue] [--chrome-trace FILE] [--json FILE]\n"
    "         [--html FILE] [--hang-timeout SECONDS] [--internal-steps] [--in-process]\n"
    "                           re-run one recorded schedule of scenario NAME (in a child\n"
    "                           process, which reports its steps if it crashes or hangs;\n"
    "                           --in-process for a debugger). --continue: where the body was\n"
    "                           changed and the schedule no longer fits, explore on from\n"
    "                           there (up to 1000 runs); a bug's new schedule is saved as\n"
    "                           FILE's name with .continued before its extension\n"
    "  merge REPORT.json... [--json FILE] [--junit FILE]\n"
    "                           combine the --json reports of the shards of one run into\n"
    "                           the report the unsharded run writes\n"
    "  run [GLOB] [--timeout SECONDS]   run scenarios once for real (production mode)\n"
    "\n"
    "output paths are checked before anything is explored or replayed\n"
    "exit status: 0 no bug, 1 a bug was found (schedules written), 2 usage, input or output\n"
    "error\n";

int dispatch(const char* argv0, std::vector<std::string_view> args) {
  using cli::UsageFailure;
  if (args.empty()) throw UsageFailure{"missing command (list, explore, replay, merge, run)"};
  const std::string_view cmd = args.front();
  args.erase(args.begin());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::printf(kUsage, argv0);
    return 0;
  }
  if (cmd == "list") return cli::cmd_list(args);
  if (cmd == "explore") return cli::cmd_explore(argv0, args);
  if (cmd == "replay") return cli::cmd_replay(argv0, args);
  if (cmd == "run") return cli::cmd_run(args);
  if (cmd == "merge") return cli::cmd_merge(args);
  throw UsageFailure{"unknown command '" + std::string(cmd) + "' (try --help)"};
}

}  // namespace

int cli_main(int argc, char** argv) {
  const char* argv0 = argc > 0 ? argv[0] : "weft";
  try {
    return dispatch(argv0, std::vector<std::string_view>(argv + (argc > 0 ? 1 : 0), argv + argc));
  } catch (const cli::UsageFailure& e) {
    std::cout.flush();
    std::fprintf(stderr, "%s: %s\n", argv0, e.message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fprintf(stderr, "%s: error: %s\n", argv0, e.what());
    return 2;
  }
}

}  // namespace weft::detail
