// End-to-end: the scenario CLI (weft::main) run as a subprocess on scenarios of its own
// (cli_scenarios.cpp), not on the bundled examples: it is built with WEFT_BUILD_EXAMPLES=OFF too.
#include <doctest/doctest.h>

#include <csignal>

#include <algorithm>
#include <filesystem>
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
  const Run r = scenarios("explore --strategy random --iterations 200", dir);
  CHECK(r.status == 1);
  CHECK(has(r.out, "BUG   crashes: null write in one interleaving"));
  CHECK(has(r.out, "Crash: the body crashed in schedule"));
  CHECK(has(r.out, "Segmentation fault"));
  CHECK(has(r.out, "ok    clean: locked counter"));  // the scenarios after it still ran
  CHECK(has(r.out, "BUG   buggy: lost update"));
  CHECK(fs::exists(dir / "weft-schedules" / "crashes-null-write-in-one-interleaving.schedule"));
  const Run two = scenarios("explore --strategy random --iterations 200 --jobs 2", dir);
  CHECK(two.out == r.out);
  // Replaying the crash reports it again instead of crashing the CLI.
  const Run again = scenarios(
      "replay 'crashes: null write in one interleaving' "
      "weft-schedules/crashes-null-write-in-one-interleaving.schedule",
      dir);
  CHECK(again.status == 1);
  CHECK(has(again.out, "Crash: the body crashed during the replay"));
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
        "WEFT_STACK_SIZE", "WEFT_NO_CHECKERS", "WEFT_ALL_BUGS"}) {
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
  const Run pct = scenarios("explore 'clean: locked counter' --pct-depth 5 --iterations 10", dir);
  CHECK_FALSE(has(pct.err, "warning"));
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

TEST_SUITE_END();
