// End-to-end: the scenario CLI (weft::main) run as a subprocess on the bundled examples.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "run_binary.hpp"

TEST_SUITE_BEGIN("e2e/cli");

using namespace weft_test;
namespace fs = std::filesystem;

namespace {

// Runs the examples binary with `args` (shell syntax) inside `dir`.
Run cli(const std::string& args, const fs::path& dir) {
  return run_binary(WEFT_EXAMPLES_BIN, args, dir);
}

}  // namespace

TEST_CASE("cli_list_names_every_bundled_example") {
  const Run r = cli("list", scratch("list"));
  CHECK(r.status == 0);
  CHECK(has(r.out, "seed: ABBA deadlock\n"));
  CHECK(has(r.out, "seed: lost update (counter += 1 without a lock)\n"));
  CHECK(has(r.out, "bank: transfers in lock order keep the total\n"));
}

TEST_CASE("cli_explore_of_a_correct_scenario_exits_0") {
  const Run r = cli("explore 'seed: locked counter' --iterations 300", scratch("ok"));
  CHECK(r.status == 0);
  CHECK(has(r.out, "ok    seed: locked counter  (300 schedules)"));
  CHECK(has(r.out, "weft: 1 scenario, 0 with bugs"));
}

TEST_CASE("cli_explore_finds_the_bug_and_its_printed_replay_command_reproduces_it") {
  const fs::path dir = scratch("bug");
  const Run r = cli("explore 'seed: ABBA deadlock'", dir);
  CHECK(r.status == 1);
  CHECK(has(r.out, "BUG   seed: ABBA deadlock"));
  CHECK(has(r.out, "Deadlock: deadlock: cycle of 2 threads"));
  CHECK(fs::exists(dir / "weft-schedules" / "seed-abba-deadlock.schedule"));
  const auto at = r.out.find("replay: ");
  REQUIRE(at != std::string::npos);
  std::string command = r.out.substr(at + 8, r.out.find('\n', at) - at - 8);
  const std::string bin = WEFT_EXAMPLES_BIN;
  REQUIRE(command.rfind(bin, 0) == 0);
  const Run again = cli(command.substr(bin.size() + 1), dir);
  CHECK(again.status == 1);
  CHECK(has(again.out, "Deadlock: deadlock: cycle of 2 threads"));
}

TEST_CASE("cli_output_is_identical_for_the_same_seed") {
  const Run a = cli("explore --seed 7 --iterations 200 --strategy random", scratch("det-a"));
  const Run b = cli("explore --seed 7 --iterations 200 --strategy random", scratch("det-b"));
  CHECK(a.status == 1);
  CHECK(a.out == b.out);
}

TEST_CASE("cli_usage_and_input_errors_exit_2_with_one_line") {
  const fs::path dir = scratch("errors");
  for (const char* args : {"explore --iterations abc", "explore --strategy best", "explore --bogus",
                           "frobnicate", "", "replay 'no such scenario' x.schedule",
                           "replay 'seed: ABBA deadlock' /nonexistent.schedule",
                           "explore 'no match*'", "run --timeout"}) {
    CAPTURE(args);
    const Run r = cli(args, dir);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(!has(r.err, "terminate"));
  }
  std::ofstream(dir / "bad.schedule") << "weft-schedule 2\nt0 zz\n";
  const Run bad = cli("replay 'seed: ABBA deadlock' bad.schedule", dir);
  CHECK(bad.status == 2);
  CHECK(has(bad.err, "line 2, column 4"));
  CHECK(lines(bad.err) == 1);
}

TEST_CASE("cli_run_executes_scenarios_for_real_and_survives_a_deadlock") {
  const Run ok = cli("run 'seed: locked counter'", scratch("run-ok"));
  CHECK(ok.status == 0);
  CHECK(has(ok.out, "ok    seed: locked counter"));
  const Run hung = cli("run 'seed: ABBA deadlock' --timeout 2", scratch("run-hung"));
  CHECK(hung.status == 1);
  CHECK(has(hung.out, "HUNG  seed: ABBA deadlock"));
}

TEST_CASE("cli_help_exits_0") {
  const Run r = cli("--help", scratch("help"));
  CHECK(r.status == 0);
  CHECK(has(r.out, "explore [GLOB]"));
}

namespace {
std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("cli_jobs_2_reports_exactly_what_jobs_1_reports") {
  const Run one = cli("explore --jobs 1 --seed 3 --iterations 300", scratch("jobs-1"));
  const Run two = cli("explore --jobs 2 --seed 3 --iterations 300", scratch("jobs-2"));
  CHECK(one.status == 1);
  CHECK(two.status == 1);
  CHECK(one.out == two.out);
  const Run env = cli("explore --seed 3 --iterations 300", scratch("jobs-env"));
  CHECK(env.out == one.out);
}

TEST_CASE("cli_environment_tunes_and_flags_win") {
  const fs::path dir = scratch("env");
  const Run from_env =
      cli("explore 'seed: locked counter' ", dir);  // baseline: default 1000 schedules
  CHECK(has(from_env.out, "(1000 schedules)"));
  const std::string cmd = "cd '" + dir.string() +
                          "' && WEFT_ITERATIONS=7 WEFT_STRATEGY=random '" WEFT_EXAMPLES_BIN
                          "' explore 'seed: locked counter' >out.txt 2>err.txt";
  CHECK(std::system(cmd.c_str()) == 0);
  CHECK(has(slurp(dir / "out.txt"), "(7 schedules)"));
  const std::string both = "cd '" + dir.string() +
                           "' && WEFT_ITERATIONS=7 '" WEFT_EXAMPLES_BIN
                           "' explore 'seed: locked counter' --iterations 9 >out.txt 2>err.txt";
  CHECK(std::system(both.c_str()) == 0);
  CHECK(has(slurp(dir / "out.txt"), "(9 schedules)"));
  const std::string bad =
      "cd '" + dir.string() + "' && WEFT_SEED=x '" WEFT_EXAMPLES_BIN "' explore >out.txt 2>err.txt";
  const int raw = std::system(bad.c_str());
  CHECK(WEXITSTATUS(raw) == 2);
  CHECK(has(slurp(dir / "err.txt"), "WEFT_SEED expects a whole number"));
}

TEST_CASE("cli_junit_report_counts_scenarios_and_failures") {
  const fs::path dir = scratch("junit");
  const Run r = cli("explore --iterations 200 --junit report.xml", dir);
  CHECK(r.status == 1);
  const std::string xml = slurp(dir / "report.xml");
  REQUIRE(!xml.empty());
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0) == 0);
  const Run list = cli("list", dir);
  const std::size_t scenarios = lines(list.out);
  CHECK(count(xml, "<testcase ") == scenarios);
  const std::size_t bugs = count(r.out, "\nBUG   ") + (r.out.rfind("BUG   ", 0) == 0 ? 1 : 0);
  CHECK(count(xml, "<failure ") == bugs);
  CHECK(has(xml, "tests=\"" + std::to_string(scenarios) + "\" failures=\"" + std::to_string(bugs) +
                     "\""));
  CHECK(has(xml, "type=\"Deadlock\""));
  // Well-formed: a real XML parser accepts it (python3 is installed by setup.sh).
  const std::string check =
      "python3 -c \"import xml.dom.minidom,sys; "
      "xml.dom.minidom.parse(sys.argv[1])\" '" +
      (dir / "report.xml").string() + "'";
  CHECK(std::system(check.c_str()) == 0);
}

TEST_CASE("cli_chrome_trace_is_valid_json_with_a_lane_per_thread") {
  const fs::path dir = scratch("chrome");
  const Run r = cli("explore 'seed: ABBA deadlock' --chrome-trace trace.json", dir);
  CHECK(r.status == 1);
  const std::string json = slurp(dir / "trace.json");
  CHECK(has(json, "\"traceEvents\""));
  CHECK(has(json, "\"name\":\"thread_name\""));
  CHECK(has(json, "\"args\":{\"name\":\"T1\"}"));
  CHECK(has(json, "\"args\":{\"name\":\"T2\"}"));
  CHECK(has(json, "blocked: lock lock_b"));
  const std::string check =
      "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
      "assert len(d['traceEvents']) > 5\" '" +
      (dir / "trace.json").string() + "'";
  CHECK(std::system(check.c_str()) == 0);
  // replay writes one too
  const Run again =
      cli("replay 'seed: ABBA deadlock' weft-schedules/seed-abba-deadlock.schedule "
          "--chrome-trace again.json",
          dir);
  CHECK(again.status == 1);
  CHECK(has(slurp(dir / "again.json"), "blocked: lock"));
}

// A pool program's report shows its own operations; --internal-steps (or WEFT_INTERNAL_STEPS)
// shows the pool's too, for explore and for replay.
TEST_CASE("cli_internal_steps_are_folded_unless_asked_for") {
  const fs::path dir = scratch("internal");
  const std::string scenario = "'I/O-bound: workers add to a byte total without a lock'";
  const Run folded = cli("explore " + scenario, dir);
  CHECK(folded.status == 1);
  CHECK_MESSAGE(!has(folded.out, "lock ThreadPoolExecutor@"), folded.out);
  CHECK(has(folded.out, "not shown: Options::internal_steps or --internal-steps shows them"));
  CHECK(has(folded.out, "(scenario 'I/O-bound: workers add to a byte total without a lock')"));
  const Run whole = cli("explore " + scenario + " --internal-steps", dir);
  CHECK(has(whole.out, "lock ThreadPoolExecutor@io_bound.cpp:"));
  const std::string file =
      "weft-schedules/i-o-bound-workers-add-to-a-byte-total-without-a-lock.schedule";
  const Run replayed = cli("replay " + scenario + " " + file, dir);
  CHECK(!has(replayed.out, "lock ThreadPoolExecutor@"));
  const Run replayed_whole = run_binary(WEFT_EXAMPLES_BIN, "replay " + scenario + " " + file, dir,
                                        "WEFT_INTERNAL_STEPS=1");
  CHECK_MESSAGE(has(replayed_whole.out, "lock ThreadPoolExecutor@io_bound.cpp:"),
                replayed_whole.out);
}

// A schedule edited to name another scenario still carries its body's fingerprint: replaying
// it there is an input error (exit 2, one line naming the file), not the body's fault.
TEST_CASE("cli_replay_of_another_bodys_schedule_is_an_input_error") {
  const fs::path dir = scratch("other-body");
  REQUIRE(cli("explore 'seed: ABBA deadlock'", dir).status == 1);
  std::string text = slurp(dir / "weft-schedules" / "seed-abba-deadlock.schedule");
  const std::string from = "scenario seed: ABBA deadlock";
  REQUIRE(has(text, from));
  REQUIRE(has(text, "\nbody "));
  text.replace(text.find(from), from.size(), "scenario bank: naive transfers deadlock");
  std::ofstream(dir / "other.schedule") << text;
  const Run r = cli("replay 'bank: naive transfers deadlock' other.schedule", dir);
  CHECK(r.status == 2);
  CHECK_MESSAGE(has(r.err, "other.schedule: the schedule was recorded for a different body"),
                r.err);
  CHECK(r.out.empty());
}

// --shared-points chooses which Shared<T> accesses are scheduling points; the schedule file says
// which were, and a file of the format before racy sites is refused with a message.
TEST_CASE("cli_shared_points_flag_and_schedule_format") {
  const fs::path dir = scratch("shared-points");
  const std::string scenario = "'seed: lost update (counter += 1 without a lock)'";
  const Run racy = cli("explore " + scenario, dir);
  CHECK(racy.status == 1);
  const std::string file = "weft-schedules/seed-lost-update-counter-1-without-a-lock.schedule";
  const std::string text = slurp(dir / file);
  CHECK_MESSAGE(has(text, "\nracy lost_update.cpp:"), text);
  CHECK(cli("replay " + scenario + " " + file, dir).status == 1);
  const Run all = cli("explore " + scenario + " --shared-points all", dir);
  CHECK(all.status == 1);
  CHECK(has(slurp(dir / file), "\nshared-points all\n"));
  const Run bad = cli("explore " + scenario + " --shared-points some", dir);
  CHECK(bad.status == 2);
  CHECK(has(bad.err, "--shared-points expects racy or all, got 'some'"));
  std::ofstream(dir / "old.schedule") << "weft-schedule 1\nt0 t1 t2\n";
  const Run old = cli("replay " + scenario + " old.schedule", dir);
  CHECK(old.status == 2);
  CHECK_MESSAGE(has(old.err, "version 1 was written by an earlier weft"), old.err);
}

TEST_CASE("cli_every_numeric_flag_refuses_zero_negative_junk_and_huge_values") {
  const fs::path dir = scratch("numbers");
  const std::vector<std::string> bad = {
      "run 'seed: locked counter' --timeout 0",
      "run 'seed: locked counter' --timeout -1",
      "run 'seed: locked counter' --timeout abc",
      "run 'seed: locked counter' --timeout inf",
      "run 'seed: locked counter' --timeout nan",
      "run 'seed: locked counter' --timeout 1e400",
      "run 'seed: locked counter' --timeout ''",
      "explore 'seed: locked counter' --iterations 0",
      "explore 'seed: locked counter' --iterations -1",
      "explore 'seed: locked counter' --iterations 1e3",
      "explore 'seed: locked counter' --iterations 1000000000000000001",
      "explore 'seed: locked counter' --iterations 18446744073709551616",
      "explore 'seed: locked counter' --seed -1",
      "explore 'seed: locked counter' --seed 0x10",
      "explore 'seed: locked counter' --seed 18446744073709551616",
      "explore 'seed: locked counter' --pct-depth 0",
      "explore 'seed: locked counter' --pct-depth -3",
      "explore 'seed: locked counter' --pct-depth 1001",
      "explore 'seed: locked counter' --pct-depth 4294967297",
      "explore 'seed: locked counter' --strategy dfs --preemption-bound -2",
      "explore 'seed: locked counter' --strategy dfs --preemption-bound two",
      "explore 'seed: locked counter' --strategy dfs --preemption-bound 4294967296",
      "explore 'seed: locked counter' --max-steps 0",
      "explore 'seed: locked counter' --max-steps -5",
      "explore 'seed: locked counter' --max-steps 18446744073709551615",
      "explore 'seed: locked counter' --time-budget -1",
      "explore 'seed: locked counter' --time-budget ' 1'",
      "explore 'seed: locked counter' --time-budget inf",
      "explore 'seed: locked counter' --time-budget nan",
      "explore 'seed: locked counter' --time-budget 0x10",
      "explore 'seed: locked counter' --time-budget 1e400",
      "explore 'seed: locked counter' --jobs 0",
      "explore 'seed: locked counter' --jobs -1",
      "explore 'seed: locked counter' --jobs 1025",
      "explore 'seed: locked counter' --jobs 4294967297",
  };
  for (const std::string& args : bad) {
    CAPTURE(args);
    // Should a value be accepted by mistake, the budget ends the exploration (the first bad
    // flag stops the parsing, so it changes nothing otherwise).
    const Run r = cli(args.rfind("explore", 0) == 0 ? args + " --time-budget 3" : args, dir);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(has(r.err, "expects"));
    CHECK(r.out.empty());  // refused before anything ran
  }
  for (const char* env : {"WEFT_ITERATIONS=0", "WEFT_SEED=-1", "WEFT_JOBS=0",
                          "WEFT_JOBS=4294967297", "WEFT_ITERATIONS=99999999999999999999"}) {
    CAPTURE(env);
    const std::string cmd = "cd '" + dir.string() + "' && " + env +
                            " '" WEFT_EXAMPLES_BIN
                            "' explore 'seed: locked counter' >out.txt 2>err.txt";
    const int raw = std::system(cmd.c_str());
    CHECK(WEXITSTATUS(raw) == 2);
    CHECK(lines(slurp(dir / "err.txt")) == 1);
    CHECK(slurp(dir / "out.txt").empty());
  }
  // The edges of each range are accepted.
  for (const char* args :
       {"run 'seed: locked counter' --timeout 30.5",
        "explore 'seed: locked counter' --iterations 2 --time-budget 0 "
        "--strategy pct --pct-depth 1000 --seed 18446744073709551615 --max-steps 1",
        "explore 'seed: locked counter' --iterations 2 --strategy dfs "
        "--preemption-bound -1 --max-steps 1000000000000000000",
        "explore 'seed: locked counter' --iterations 2 --time-budget 1e-3"}) {
    CAPTURE(args);
    const Run r = cli(args, dir);
    CHECK(r.status != 2);
    CHECK(r.err.empty());
  }
}

TEST_CASE("cli_output_paths_that_cannot_be_written_are_refused_before_exploring") {
  const fs::path dir = scratch("paths");
  fs::create_directories(dir / "a-directory");
  std::ofstream(dir / "a-file") << "x\n";
  std::ofstream(dir / "old.xml") << "old report\n";
  for (const char* args :
       {"--schedule-dir /proc/weft-nope", "--schedule-dir a-file/sub", "--schedule-dir a-file",
        "--junit /proc/weft-nope/x.xml", "--junit a-directory", "--junit no-such-dir/x.xml",
        "--chrome-trace /proc/weft-nope/x.json", "--chrome-trace a-file/x.json",
        "--junit old.xml --chrome-trace /proc/weft-nope/x.json"}) {
    CAPTURE(args);
    const Run r = cli(std::string("explore 'seed: ABBA deadlock' ") + args, dir);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.out.empty());  // nothing explored
  }
  CHECK(slurp(dir / "old.xml") == "old report\n");  // checked, not truncated
  CHECK(!fs::exists(dir / "weft-schedules"));
  const Run replay =
      cli("replay 'seed: ABBA deadlock' old.xml --chrome-trace /proc/weft-nope/x.json", dir);
  CHECK(replay.status == 2);
  CHECK(has(replay.err, "--chrome-trace /proc/weft-nope/x.json"));
  CHECK(replay.out.empty());

  // A clean run leaves nothing behind: no probe files, no empty schedule directory; a missing
  // one is made when the first schedule is saved.
  const fs::path clean = scratch("paths-clean");
  const Run ok = cli(
      "explore 'seed: locked counter' --iterations 5 --schedule-dir deep/er --junit r.xml", clean);
  CHECK(ok.status == 0);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(clean)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"err.txt", "out.txt", "r.xml"});
  const Run bug = cli("explore 'seed: ABBA deadlock' --schedule-dir deep/er", clean);
  CHECK(bug.status == 1);
  CHECK(fs::exists(clean / "deep" / "er" / "seed-abba-deadlock.schedule"));
}

TEST_CASE("cli_a_file_that_cannot_be_written_after_exploring_is_exit_2_with_the_full_report") {
  const fs::path dir = scratch("late");
  // The directory is writable, but the schedule's own path is taken by a directory.
  fs::create_directories(dir / "weft-schedules" / "seed-abba-deadlock.schedule");
  const Run r = cli("explore 'seed: ABBA deadlock'", dir);
  CHECK(r.status == 2);  // not 1: exit status 1 promises the schedule file
  CHECK(has(r.out, "BUG   seed: ABBA deadlock"));
  CHECK(has(r.out, "(could not save the schedule: cannot write schedule file"));
  CHECK(has(r.out, "weft: 1 scenario, 1 with bugs"));
  CHECK(lines(r.err) == 1);
  CHECK(has(r.err, "the report above is complete"));
  if (fs::exists("/dev/full")) {  // writes to it fail with ENOSPC: a full disk
    const Run junit = cli("explore 'seed: locked counter' --iterations 5 --junit /dev/full", dir);
    CHECK(junit.status == 2);
    CHECK(has(junit.out, "ok    seed: locked counter"));
    CHECK(has(junit.err, "cannot write /dev/full"));
    CHECK(lines(junit.err) == 1);
    fs::remove_all(dir / "weft-schedules");
    const Run both =
        cli("explore 'seed: ABBA deadlock' --junit /dev/full --chrome-trace /dev/full", dir);
    CHECK(both.status == 2);
    CHECK(has(both.out, "replay: "));
    CHECK(has(both.err, "2 files could not be written"));
    const Run replay =
        cli("replay 'seed: ABBA deadlock' weft-schedules/seed-abba-deadlock.schedule "
            "--chrome-trace /dev/full",
            dir);
    CHECK(replay.status == 2);
    CHECK(has(replay.out, "Deadlock: deadlock"));
    CHECK(lines(replay.err) == 1);
  }
}

TEST_CASE("cli_replay_reports_leftover_decisions_after_the_bug_it_found") {
  const fs::path dir = scratch("leftover");
  const Run found = cli("explore 'seed: lost update*'", dir);
  REQUIRE(found.status == 1);
  const fs::path saved =
      dir / "weft-schedules" / "seed-lost-update-counter-1-without-a-lock.schedule";
  const std::string text = slurp(saved);
  std::ofstream(dir / "longer.schedule") << text.substr(0, text.size() - 1) << " t0 t0\n";
  const std::string name = "'seed: lost update (counter += 1 without a lock)'";
  const Run same = cli("replay " + name + " '" + saved.string() + "'", dir);
  CHECK(same.status == 1);
  CHECK(has(same.out, "LostUpdate: "));
  CHECK(!has(same.out, "Nondeterminism"));
  const Run longer = cli("replay " + name + " longer.schedule", dir);
  CHECK(longer.status == 1);
  CHECK(has(longer.out, "LostUpdate: "));
  CHECK(has(longer.out, "Nondeterminism: the run ended with 2 of the schedule's"));
  CHECK(longer.out.find("LostUpdate: ") < longer.out.find("Nondeterminism: "));
}

TEST_CASE("cli_memory_model_flag_and_schedule_format") {
  const fs::path dir = scratch("memory-model");
  const std::string scenario = "'seed: lost update (counter += 1 without a lock)'";
  const std::string file = "weft-schedules/seed-lost-update-counter-1-without-a-lock.schedule";
  const Run sc = cli("explore " + scenario + " --memory-model sc", dir);
  CHECK(sc.status == 1);
  CHECK(has(slurp(dir / file), "\nmemory-model sc\n"));
  CHECK(cli("replay " + scenario + " " + file, dir).status == 1);
  const Run c11 = cli("explore " + scenario + " --memory-model c11", dir);
  CHECK(c11.status == 1);
  CHECK_FALSE(has(slurp(dir / file), "memory-model"));
  const Run bad = cli("explore " + scenario + " --memory-model tso", dir);
  CHECK(bad.status == 2);
  CHECK_MESSAGE(has(bad.err, "--memory-model expects c11 or sc, got 'tso'"), bad.err);
}

namespace {

// Runs `args` unsharded and as `shards` shards (each in a directory of its own, as on separate
// CI machines), merges the shards' JSON, and returns {unsharded JSON, merged JSON}.
struct Sharded {
  Run whole;
  Run merged;
  std::string whole_json;
  std::string merged_json;
  std::vector<int> shard_status;
};
Sharded run_sharded(const std::string& name, const std::string& args, int shards) {
  const fs::path root = scratch(name);
  Sharded out;
  out.whole = run_binary(WEFT_EXAMPLES_BIN, args + " --json ../whole.json", root / "whole");
  std::string files;
  for (int i = 0; i < shards; ++i) {
    const std::string shard = std::to_string(i) + "/" + std::to_string(shards);
    const std::string file = "s" + std::to_string(i) + ".json";
    out.shard_status.push_back(run_binary(WEFT_EXAMPLES_BIN,
                                          args + " --shard " + shard + " --json ../" + file,
                                          root / ("shard" + std::to_string(i)))
                                   .status);
    files += " " + file;
  }
  out.merged = cli("merge" + files + " --json merged.json --junit merged.xml", root);
  out.whole_json = slurp(root / "whole.json");
  out.merged_json = slurp(root / "merged.json");
  return out;
}

}  // namespace

TEST_CASE("cli_merge_of_shards_is_byte_identical_to_the_unsharded_json_without_a_bug") {
  // 1100 schedules span three racy-site epochs of 512, and fuzz's corpus epochs are shorter:
  // a shard must learn what the whole run learns from the other shards' schedules.
  for (const char* strategy : {"portfolio", "fuzz", "random"}) {
    CAPTURE(strategy);
    const Sharded r = run_sharded(std::string("shard-ok-") + strategy,
                                  std::string("explore 'seed: locked counter' --iterations 1100 "
                                              "--strategy ") +
                                      strategy,
                                  4);
    CHECK(r.whole.status == 0);
    CHECK(r.shard_status == std::vector<int>{0, 0, 0, 0});
    CHECK_MESSAGE(r.merged.status == 0, r.merged.err);
    CHECK(has(r.merged.out, "merged 4 shards: 1 scenario, 0 with a bug"));
    CHECK(has(r.whole_json, "\"iterations\":1100"));
    CHECK(!has(r.merged_json, "\"shard\""));
    CHECK(r.merged_json == r.whole_json);
  }
}

TEST_CASE("cli_merge_keeps_the_lowest_numbered_bug_as_the_unsharded_run_stops_there") {
  // Without the checkers the deadlock needs a particular interleaving: the portfolio first
  // meets it in schedule 12, and other shards meet it later; the unsharded run stops at 12.
  const Sharded r = run_sharded(
      "shard-bug", "explore 'bank: naive transfers deadlock' --no-checkers --iterations 200", 3);
  CHECK(r.whole.status == 1);
  CHECK(has(r.whole_json, "\"iterations\":12,"));
  CHECK(r.merged.status == 1);
  CHECK(has(r.merged.out, "Deadlock in schedule 12"));
  CHECK(r.merged_json == r.whole_json);
  // Every scenario at once, several strategies: each scenario merged on its own.
  for (const char* strategy : {"pct", "fuzz"}) {
    CAPTURE(strategy);
    const Sharded all = run_sharded(std::string("shard-all-") + strategy,
                                    std::string("explore --no-checkers --iterations 300 "
                                                "--strategy ") +
                                        strategy,
                                    2);
    CHECK(all.merged.status == 1);
    CHECK(all.merged_json == all.whole_json);
  }
}

TEST_CASE("cli_shard_from_the_test_runners_environment_and_bazel_status_file") {
  const fs::path dir = scratch("shard-env");
  const std::string args = "explore 'seed: locked counter' --iterations 50 --json ";
  const Run flag = cli(args + "flag.json --shard 1/3", dir);
  const Run gtest =
      run_binary(WEFT_EXAMPLES_BIN, args + "gtest.json", dir,
                 "GTEST_SHARD_INDEX=1 GTEST_TOTAL_SHARDS=3 TEST_SHARD_STATUS_FILE=status");
  const Run bazel = run_binary(WEFT_EXAMPLES_BIN, args + "bazel.json", dir,
                               "TEST_SHARD_INDEX=1 TEST_TOTAL_SHARDS=3");
  CHECK(flag.status == 0);
  CHECK(gtest.status == 0);
  CHECK(bazel.status == 0);
  CHECK(has(slurp(dir / "flag.json"), "\"shard\":{\"index\":1,\"count\":3}"));
  CHECK(slurp(dir / "gtest.json") == slurp(dir / "flag.json"));
  CHECK(slurp(dir / "bazel.json") == slurp(dir / "flag.json"));
  CHECK(fs::exists(dir / "status"));
  // The flag wins over the environment.
  const Run both = run_binary(WEFT_EXAMPLES_BIN, args + "both.json --shard 1/3", dir,
                              "TEST_SHARD_INDEX=0 TEST_TOTAL_SHARDS=2");
  CHECK(slurp(dir / "both.json") == slurp(dir / "flag.json"));
}

TEST_CASE("cli_shard_and_merge_errors_exit_2_with_one_line") {
  const fs::path dir = scratch("shard-errors");
  const std::string run = "explore 'seed: locked counter' --iterations 20 --json ";
  REQUIRE(cli(run + "a0.json --shard 0/2", dir).status == 0);
  REQUIRE(cli(run + "a1.json --shard 1/2", dir).status == 0);
  REQUIRE(cli(run + "b1.json --shard 1/2 --seed 5", dir).status == 0);
  REQUIRE(cli(run + "c1.json --shard 1/3", dir).status == 0);
  std::ofstream(dir / "junk.json") << "not json {";
  std::ofstream(dir / "other.json") << "{\"format\":\"something else\"}";
  REQUIRE(cli("merge a0.json a1.json --json ok.json", dir).status == 0);
  const std::pair<const char*, const char*> cases[] = {
      {"explore --shard 2/2", "--shard"},
      {"explore --shard 1", "I/N"},
      {"explore --shard 0/0", "--shard"},
      {"explore --strategy dfs --shard 0/2", "dfs cannot be sharded"},
      {"merge", "merge needs"},
      {"merge junk.json", "junk.json is not JSON"},
      {"merge other.json", "not a weft explore report"},
      {"merge a0.json", "shard 1/2 is missing"},
      {"merge a0.json a1.json a1.json", "are both shard 1/2"},
      {"merge a0.json b1.json", "not shards of the same run"},
      {"merge a0.json c1.json", "is a shard of 3"},
      {"merge nowhere.json", "cannot read nowhere.json"},
      {"merge a0.json a1.json --bogus", "unknown option"},
  };
  // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
  for (const auto& c : cases) {
    const char* args = c.first;
    const char* message = c.second;
    CAPTURE(args);
    const Run r = cli(args, dir);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK_MESSAGE(has(r.err, message), r.err);
  }
  const Run env = run_binary(WEFT_EXAMPLES_BIN, "explore --iterations 5", dir,
                             "TEST_SHARD_INDEX=4 TEST_TOTAL_SHARDS=2");
  CHECK(env.status == 2);
  CHECK(lines(env.err) == 1);
}

TEST_SUITE_END();
