// End-to-end: the scenario CLI (weft::main) run as a subprocess on scenarios of its own
// (cli_scenarios.cpp), not on the bundled examples: it is built with WEFT_BUILD_EXAMPLES=OFF too.
#include <doctest/doctest.h>

#include <csignal>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "run_binary.hpp"

TEST_SUITE_BEGIN("e2e/cli_scenarios");

using namespace weft_test;
namespace fs = std::filesystem;

namespace {

// Runs the CLI test scenarios binary, with `env` ("NAME=value ...") in its environment.
Run scenarios(const std::string& args, const fs::path& dir, const std::string& env = {}) {
  return run_binary(WEFT_SCENARIOS_BIN, args, dir, env);
}

}  // namespace

TEST_CASE("cli_a_crashing_body_is_a_bug_with_its_schedule_and_the_run_goes_on") {
  const fs::path dir = scratch("crash");
  // Every scenario, the one that hangs too (its watchdog made short).
  // Long enough that a busy machine pausing a worker is not taken for a hang.
  const std::string hang = "WEFT_HANG_TIMEOUT=2";
  const Run r = scenarios("explore --strategy random --iterations 200", dir, hang);
  CHECK(r.status == 1);
  CHECK(has(r.out, "BUG   crashes: null write in one interleaving"));
  CHECK(has(r.out, "Crash: the body crashed in schedule"));
  CHECK(has(r.out, "Segmentation fault"));
  // The steps up to the crash, from a re-run in a child process that reports them when the
  // crash comes again, and which thread crashed in its own code.
  // Under MemoryModel::C11 (the default) a load's value also names the store it read, which
  // widens the value column.
  CHECK_MESSAGE(has(r.out, "store x    1 "), r.out);
  CHECK(has(r.out, "load x     1 (from T1's store at cli_scenarios.cpp:15)  cli_scenarios.cpp:"));
  CHECK(has(r.out, "main ran last: the process received signal 11 (Segmentation fault)"));
  CHECK(has(r.out, "ok    clean: locked counter"));  // the scenarios after it still ran
  CHECK(has(r.out, "BUG   buggy: lost update"));
  CHECK(has(r.out, "BUG   hangs: ABBA on std::mutex"));
  CHECK(fs::exists(dir / "weft-schedules" / "crashes-null-write-in-one-interleaving.schedule"));
  const Run two = scenarios("explore --strategy random --iterations 200 --jobs 2", dir, hang);
  CHECK(two.out == r.out);
  // Replaying the crash reports it again, with its steps, instead of crashing the CLI; a
  // Chrome trace gets the steps there are.
  const Run again = scenarios(
      "replay 'crashes: null write in one interleaving' "
      "weft-schedules/crashes-null-write-in-one-interleaving.schedule --chrome-trace crash.json",
      dir);
  CHECK(again.status == 1);
  CHECK(has(again.out, "Crash: the body crashed during the replay"));
  CHECK(
      has(again.out, "load x     1 (from T1's store at cli_scenarios.cpp:15)  cli_scenarios.cpp:"));
  const std::string json = slurp(dir / "crash.json");
  CHECK_MESSAGE(has(json, "\"name\":\"load x\""), json);
  CHECK(has(json, "\"name\":\"store x\""));
  // The report says how to see the crash in a debugger: the same replay in this process,
  // which then dies of the signal itself (a debugger would stop there).
  CHECK_MESSAGE(has(again.out, "gdb --args "), again.out);
  CHECK(has(again.out, "--in-process"));
  const Run here = scenarios(
      "replay 'crashes: null write in one interleaving' "
      "weft-schedules/crashes-null-write-in-one-interleaving.schedule --in-process",
      dir);
  CHECK(here.status == 128 + SIGSEGV);  // the shell's status of a process killed by it
}

// A body blocked on a primitive weft does not control (two std::mutex taken in opposite orders
// by two weft threads, which share one OS thread) ends as a Hang bug, with its steps so far and
// what the other threads were about to do, and its schedule replays to the same Hang.
TEST_CASE("cli_a_body_stuck_outside_weft_is_a_hang_with_its_trace_and_schedule") {
  const fs::path dir = scratch("hang");
  const std::string scenario = "'hangs: ABBA on std::mutex'";
  const Run r = scenarios("explore " + scenario + " --strategy random --hang-timeout 1", dir);
  CHECK(r.status == 1);
  CHECK_MESSAGE(has(r.out,
                    "Hang: schedule 2 stopped reaching weft operations (none for 1 s, "
                    "after 3 scheduling decisions)"),
                r.out);
  CHECK(has(r.out, "store step  1      cli_scenarios.cpp:"));
  CHECK(has(r.out, "T1 ran last and reached no weft operation for 1 s"));
  CHECK(has(r.out, "std::mutex"));
  CHECK(has(r.out, "main is about to store step (cli_scenarios.cpp:"));
  // Generated function names are shown as the scenario's.
  CHECK(has(r.out, "(scenario 'hangs: ABBA on std::mutex')"));
  CHECK(!has(r.out, "weft_scenario_"));
  // The same in worker processes, and the same from the environment.
  const Run two =
      scenarios("explore " + scenario + " --strategy random --jobs 2", dir, "WEFT_HANG_TIMEOUT=1");
  CHECK(two.out == r.out);
  const Run again = scenarios("replay " + scenario +
                                  " weft-schedules/hangs-abba-on-std-mutex.schedule "
                                  "--hang-timeout 1 --chrome-trace hang.json",
                              dir);
  CHECK(again.status == 1);
  CHECK_MESSAGE(has(again.out, "Hang: the replay stopped reaching weft operations"), again.out);
  CHECK(has(again.out, "store step  1      cli_scenarios.cpp:"));
  CHECK(has(slurp(dir / "hang.json"), "\"name\":\"store step\""));
  const Run bad = scenarios("explore " + scenario + " --hang-timeout soon", dir);
  CHECK(bad.status == 2);
  CHECK_MESSAGE(has(bad.err, "--hang-timeout expects a number of seconds (0 = no limit)"), bad.err);
}

// With several failing scenarios the Chrome trace has each one's failing schedule, as a process
// of its own; a Crash's and a Hang's steps come from a child process.
TEST_CASE("cli_chrome_trace_keeps_every_failing_scenario") {
  const fs::path dir = scratch("chrome-all");
  const Run r =
      scenarios("explore --strategy random --chrome-trace all.json", dir, "WEFT_HANG_TIMEOUT=2");
  CHECK(r.status == 1);
  const std::string json = slurp(dir / "all.json");
  const std::string check =
      "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
      "names = {e['pid']: e['args']['name'] for e in d['traceEvents'] "
      "if e['name'] == 'process_name'}; "
      "assert sorted(names.values()) == ['buggy: lost update', "
      "'crashes: null write in one interleaving', 'hangs: ABBA on std::mutex'], names; "
      "assert sorted(names) == [1, 2, 3], names; "
      "slices = [e for e in d['traceEvents'] if e['ph'] == 'X']; "
      "assert {e['pid'] for e in slices} == {1, 2, 3}\" '" +
      (dir / "all.json").string() + "'";
  CHECK_MESSAGE(std::system(check.c_str()) == 0, json);
  CHECK(has(json, "\"name\":\"load x\""));      // the crash's steps
  CHECK(has(json, "\"name\":\"store step\""));  // the hang's
}

TEST_CASE("cli_spurious_wakeups_are_enabled_by_flag_or_environment") {
  const fs::path dir = scratch("spurious");
  const std::string scenario = "'spurious: if around a condvar wait' --strategy random";
  const Run off = scenarios("explore " + scenario, dir);
  CHECK_MESSAGE(off.status == 0, (off.out + off.err));
  const Run flag = scenarios("explore " + scenario + " --spurious-wakeups", dir);
  CHECK_MESSAGE(flag.status == 1, (flag.out + flag.err));
  CHECK(has(flag.out, "woke up without the data"));
  CHECK(has(flag.out, "spurious wake-up"));
  const Run env = scenarios("explore " + scenario, dir, "WEFT_SPURIOUS_WAKEUPS=1");
  CHECK_MESSAGE(env.status == 1, (env.out + env.err));
  const Run bad = scenarios("explore " + scenario, dir, "WEFT_SPURIOUS_WAKEUPS=maybe");
  CHECK(bad.status == 2);
  CHECK_MESSAGE(has(bad.err, "WEFT_SPURIOUS_WAKEUPS expects 1 or 0"), bad.err);
}

TEST_CASE("cli_every_option_has_a_weft_variable") {
  const fs::path dir = scratch("variables");
  // A bad value names the variable: each one is read.
  for (const char* var :
       {"WEFT_PCT_DEPTH", "WEFT_PREEMPTION_BOUND", "WEFT_MAX_STEPS", "WEFT_TIME_BUDGET",
        "WEFT_STACK_SIZE", "WEFT_HANG_TIMEOUT", "WEFT_INTERNAL_STEPS", "WEFT_SHARED_POINTS",
        "WEFT_NO_CHECKERS", "WEFT_ALL_BUGS", "WEFT_MEMORY_MODEL"}) {
    const Run r = scenarios("explore 'clean: locked counter'", dir, std::string(var) + "=junk");
    CHECK_MESSAGE(r.status == 2, var);
    CHECK_MESSAGE(has(r.err, var), r.err);
  }
  const Run all = scenarios("explore 'buggy: lost update' --iterations 50", dir,
                            "WEFT_ALL_BUGS=1 WEFT_NO_CHECKERS=1");
  // Without checkers the lost update is found only through the body's assertion.
  CHECK(all.status == 1);
  CHECK_FALSE(has(all.out, "LostUpdate"));
  CHECK(has(all.out, "AssertionFailure"));
}

TEST_CASE("cli_warns_about_flags_the_strategy_does_not_read") {
  const fs::path dir = scratch("unused-flags");
  const Run r = scenarios(
      "explore 'clean: locked counter' --strategy random --pct-depth 5 "
      "--iterations 10",
      dir);
  CHECK(r.status == 0);
  CHECK_MESSAGE(has(r.err, "--pct-depth applies to --strategy pct only"), r.err);
  const Run pct = scenarios(
      "explore 'clean: locked counter' --strategy pct --pct-depth 5 --iterations 10", dir);
  CHECK_FALSE(has(pct.err, "warning"));
  // The default portfolio runs depths 1 to 5 itself.
  const Run portfolio =
      scenarios("explore 'clean: locked counter' --pct-depth 5 --iterations 10", dir);
  CHECK_MESSAGE(has(portfolio.err, "the portfolio runs depths 1 to 5"), portfolio.err);
}

TEST_CASE("cli_replay_refuses_a_schedule_recorded_for_another_scenario") {
  const fs::path dir = scratch("other-scenario");
  const Run found = scenarios("explore 'buggy: lost update'", dir);
  REQUIRE(found.status == 1);
  const std::string file = "weft-schedules/buggy-lost-update.schedule";
  CHECK(has(slurp(dir / file), "scenario buggy: lost update\n"));
  const Run same = scenarios("replay 'buggy: lost update' " + file, dir);
  CHECK_MESSAGE(same.status == 1, (same.out + same.err));
  const Run other = scenarios("replay 'clean: locked counter' " + file, dir);
  CHECK(other.status == 2);
  CHECK_MESSAGE(has(other.err,
                    "was recorded for scenario 'buggy: lost update', not 'clean: "
                    "locked counter'"),
                other.err);
  CHECK(std::count(other.err.begin(), other.err.end(), '\n') == 1);
}

TEST_CASE("cli_replay_continue_explores_on_where_the_schedule_no_longer_fits") {
  const fs::path dir = scratch("continue");
  const Run found = scenarios("explore 'buggy: lost update'", dir);
  REQUIRE(found.status == 1);
  // What an edit of the body leaves of a schedule: no fingerprint, and decisions that stop
  // fitting after the first few.
  std::string text;
  std::istringstream saved(slurp(dir / "weft-schedules/buggy-lost-update.schedule"));
  for (std::string line; std::getline(saved, line);) {
    if (line.starts_with("body ")) continue;
    text += line.starts_with("t") ? "t0*2 t7 t1*40\n" : line + "\n";
  }
  {
    std::ofstream out(dir / "edited.schedule");
    out << text;
  }
  const Run plain = scenarios("replay 'buggy: lost update' edited.schedule", dir);
  CHECK(has(plain.out, "Nondeterminism"));
  const Run r = scenarios("replay 'buggy: lost update' edited.schedule --continue", dir);
  CHECK_MESSAGE(r.status == 1, (r.out + r.err));
  CHECK_MESSAGE(has(r.out, "continued from a schedule: 2 of its "), r.out);
  CHECK_FALSE(has(r.out, "Nondeterminism"));
  CHECK(has(r.out, "replay: "));
  CHECK(has(r.out, "edited.continued.schedule"));
  // The new schedule replays exactly, without --continue.
  const Run again = scenarios("replay 'buggy: lost update' edited.continued.schedule", dir);
  CHECK_MESSAGE(again.status == 1, (again.out + again.err));
  CHECK_FALSE(has(again.out, "Nondeterminism"));
}

TEST_CASE("cli_no_shrink_reports_schedules_as_found") {
  const fs::path dir = scratch("no-shrink");
  const Run shrunk = scenarios("explore 'buggy: lost update' --strategy random", dir);
  CHECK(shrunk.status == 1);
  CHECK_MESSAGE(has(shrunk.out, "(shrunk from "), shrunk.out);
  const Run found = scenarios("explore 'buggy: lost update' --strategy random --no-shrink", dir);
  CHECK(found.status == 1);
  CHECK_FALSE(has(found.out, "shrunk"));
  const Run env =
      scenarios("explore 'buggy: lost update' --strategy random", dir, "WEFT_NO_SHRINK=1");
  CHECK(env.out == found.out);
}

TEST_SUITE_END();
