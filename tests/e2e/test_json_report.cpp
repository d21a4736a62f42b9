// End-to-end: the CLI's --json report (explore and replay), read back with a JSON parser. The
// cases are named cli_* like the other CLI cases: their work is done by subprocesses, which the
// valgrind run of weft_tests leaves out.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include <weft/schedule.hpp>

#include "run_binary.hpp"

TEST_SUITE_BEGIN("e2e/json_report");

using namespace weft_test;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

Run scenarios(const std::string& args, const fs::path& dir, const std::string& env = {}) {
  return run_binary(WEFT_SCENARIOS_BIN, args, dir, env);
}

Json read_json(const fs::path& file) {
  const std::string text = slurp(file);
  REQUIRE_MESSAGE(!text.empty(), file.string());
  CHECK(text.back() == '\n');
  return Json::parse(text);
}

// The two scenarios of cli_scenarios.cpp whose names have ": lo" (the others crash or hang).
const std::string kBuggyAndClean = "explore '*: lo*' --strategy random --iterations 200";

}  // namespace

TEST_CASE("cli_json_explore_writes_one_document_with_every_scenario") {
  const fs::path dir = scratch("json-explore");
  const Run r = scenarios(kBuggyAndClean + " --json report.json", dir);
  CHECK(r.status == 1);
  const Json j = read_json(dir / "report.json");
  CHECK(j.at("format") == "weft-report");
  CHECK(j.at("version") == 1);
  CHECK(j.at("command") == "explore");
  const Json& options = j.at("options");
  CHECK(options.at("strategy") == "random");
  CHECK(options.at("iterations") == 200);
  CHECK(options.at("seed") == 0);
  CHECK(options.at("schedule_dir") == "weft-schedules");
  CHECK(options.at("shrink") == true);
  CHECK(!options.contains("jobs"));  // the report is the same for any --jobs, so is the file
  REQUIRE(j.at("scenarios").size() == 2);

  const Json& buggy = j["scenarios"][0];  // in name order, as explored
  CHECK(buggy.at("name") == "buggy: lost update");
  const Json& report = buggy.at("report");
  CHECK(report.at("strategy") == "random");
  CHECK(report.at("ok") == false);
  REQUIRE(!report.at("bugs").empty());
  const Json& bug = report["bugs"][0];
  CHECK(bug.at("kind") == "LostUpdate");
  CHECK(has(r.out, bug.at("message").get<std::string>()));
  CHECK(has(bug.at("trace").get<std::string>(), "store counter"));
  REQUIRE(bug.at("steps").is_array());
  REQUIRE(!bug["steps"].empty());
  CHECK(bug["steps"][0].at("step") == 1);
  CHECK(bug["steps"][0].at("thread_name") == "main");
  // Not which file: a clang build names a spawn's line from debug information less reliably.
  CHECK(!bug["steps"][0].at("location").get<std::string>().empty());
  // The schedule in the document is the one saved for the replay command.
  REQUIRE(buggy.at("schedule_files").size() == report["bugs"].size());
  const std::string file = buggy["schedule_files"][0].get<std::string>();
  CHECK(file == "weft-schedules/buggy-lost-update.schedule");
  CHECK(weft::Schedule::load(dir / file) ==
        weft::Schedule::parse(bug.at("schedule").get<std::string>()));

  const Json& clean = j["scenarios"][1];
  CHECK(clean.at("name") == "clean: locked counter");
  CHECK(clean.at("report").at("ok") == true);
  CHECK(clean.at("report").at("bugs").empty());
  CHECK(clean.at("report").at("iterations") == 200);
  CHECK(clean.at("report").at("last").is_string());
  CHECK(clean.at("schedule_files").empty());

  // Byte-identical run to run, and for any --jobs.
  const std::string first = slurp(dir / "report.json");
  CHECK(scenarios(kBuggyAndClean + " --json again.json", dir).status == 1);
  CHECK(slurp(dir / "again.json") == first);
  CHECK(scenarios(kBuggyAndClean + " --jobs 2 --json jobs.json", dir).status == 1);
  CHECK(slurp(dir / "jobs.json") == first);
}

TEST_CASE("cli_json_replay_writes_the_replays_report") {
  const fs::path dir = scratch("json-replay");
  REQUIRE(scenarios("explore 'buggy: lost update' --strategy random", dir).status == 1);
  const std::string file = "weft-schedules/buggy-lost-update.schedule";
  const Run r = scenarios("replay 'buggy: lost update' " + file + " --json replay.json", dir);
  CHECK(r.status == 1);
  const Json j = read_json(dir / "replay.json");
  CHECK(j.at("format") == "weft-report");
  CHECK(j.at("command") == "replay");
  CHECK(j.at("options").at("schedule_file") == file);
  CHECK(j.at("options").at("continue") == false);
  REQUIRE(j.at("scenarios").size() == 1);
  const Json& s = j["scenarios"][0];
  CHECK(s.at("name") == "buggy: lost update");
  CHECK(s.at("report").at("strategy") == "replay");
  CHECK(s.at("report").at("iterations") == 1);
  REQUIRE(!s.at("report").at("bugs").empty());
  const Json& bug = s["report"]["bugs"][0];
  CHECK(bug.at("kind") == "LostUpdate");
  CHECK(bug.at("steps").size() > 2);
  CHECK(weft::Schedule::parse(bug.at("schedule").get<std::string>()) ==
        weft::Schedule::load(dir / file));
  CHECK(s.at("schedule_files")[0] == file);
  // A clean replay: a report without bugs.
  REQUIRE(
      scenarios("explore 'clean: locked counter' --iterations 5 --json clean.json", dir).status ==
      0);
  const Json clean = read_json(dir / "clean.json");
  std::ofstream(dir / "last.schedule")
      << clean["scenarios"][0]["report"]["last"].get<std::string>();
  const Run ok = scenarios("replay 'clean: locked counter' last.schedule --json ok.json", dir);
  CHECK(ok.status == 0);
  const Json replayed = read_json(dir / "ok.json");
  CHECK(replayed["scenarios"][0]["report"]["ok"] == true);
  CHECK(replayed["scenarios"][0]["schedule_files"].empty());
}

// A Crash's steps come from a child process (the schedule would crash the CLI too), while
// exploring and while replaying.
TEST_CASE("cli_json_of_a_crash_has_the_steps_before_it") {
  const fs::path dir = scratch("json-crash");
  const std::string scenario = "'crashes: null write in one interleaving'";
  const Run r = scenarios(
      "explore " + scenario + " --strategy random --iterations 200 --json crash.json", dir);
  CHECK(r.status == 1);
  const Json j = read_json(dir / "crash.json");
  const Json& bug = j["scenarios"][0]["report"]["bugs"][0];
  CHECK(bug.at("kind") == "Crash");
  REQUIRE(bug.at("steps").is_array());
  const std::string steps = bug["steps"].dump();
  CHECK_MESSAGE(has(steps, "\"operation\":\"load x\""), steps);
  CHECK(has(steps, "\"operation\":\"store x\""));
  const std::string file = j["scenarios"][0]["schedule_files"][0].get<std::string>();
  const Run again = scenarios("replay " + scenario + " " + file + " --json again.json", dir);
  CHECK(again.status == 1);
  const Json replayed = read_json(dir / "again.json");
  const Json& crash = replayed["scenarios"][0]["report"]["bugs"][0];
  CHECK(crash.at("kind") == "Crash");
  CHECK(has(crash.at("message").get<std::string>(), "the body crashed during the replay"));
  CHECK(has(crash.at("steps").dump(), "\"operation\":\"load x\""));
  CHECK(weft::Schedule::parse(crash.at("schedule").get<std::string>()) ==
        weft::Schedule::load(dir / file));
}

TEST_CASE("cli_json_paths_are_checked_before_anything_runs") {
  const fs::path dir = scratch("json-paths");
  fs::create_directories(dir / "a-directory");
  std::ofstream(dir / "old.json") << "old report\n";
  for (const char* args : {"--json /proc/weft-nope/x.json", "--json a-directory",
                           "--json no-such-dir/x.json", "--json old.json --junit a-directory"}) {
    CAPTURE(args);
    const Run r = scenarios(std::string("explore 'buggy: lost update' ") + args, dir);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.out.empty());  // nothing explored
  }
  CHECK(
      has(scenarios("explore --json a-directory", dir).err, "--json a-directory: is a directory"));
  CHECK(slurp(dir / "old.json") == "old report\n");  // checked, not truncated
  const Run missing = scenarios("explore --json", dir);
  CHECK(missing.status == 2);
  CHECK(has(missing.err, "--json needs a value"));
  const Run replay =
      scenarios("replay 'buggy: lost update' old.json --json /proc/weft-nope/x.json", dir);
  CHECK(replay.status == 2);
  CHECK(lines(replay.err) == 1);
  CHECK(has(replay.err, "--json /proc/weft-nope/x.json"));
  CHECK(replay.out.empty());
  // A file that cannot be written after all (a full disk): the report is printed in full, and
  // the status is 2 with one line on stderr.
  if (fs::exists("/dev/full")) {
    const Run full =
        scenarios("explore 'clean: locked counter' --iterations 5 --json /dev/full", dir);
    CHECK(full.status == 2);
    CHECK(has(full.out, "ok    clean: locked counter"));
    CHECK(has(full.err, "cannot write /dev/full"));
    CHECK(lines(full.err) == 1);
  }
}

TEST_SUITE_END();
