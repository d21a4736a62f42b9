// End-to-end: the scenario CLI (weft::main) run as a subprocess on the bundled examples.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Run {
  int status;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the examples binary with `args` (shell syntax) inside `dir`.
Run cli(const std::string& args, const fs::path& dir) {
  fs::create_directories(dir);
  const std::string cmd =
      "cd '" + dir.string() + "' && '" WEFT_EXAMPLES_BIN "' " + args + " >out.txt 2>err.txt";
  const int raw = std::system(cmd.c_str());
  return Run{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out.txt"),
             slurp(dir / "err.txt")};
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("weft-cli-" + name);
  fs::remove_all(p);
  return p;
}

bool has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
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
  std::ofstream(dir / "bad.schedule") << "weft-schedule 1\nt0 zz\n";
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
// Runs the CLI test scenarios binary.
Run scenarios(const std::string& args, const fs::path& dir) {
  fs::create_directories(dir);
  const std::string cmd =
      "cd '" + dir.string() + "' && '" WEFT_SCENARIOS_BIN "' " + args + " >out.txt 2>err.txt";
  const int raw = std::system(cmd.c_str());
  return Run{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out.txt"),
             slurp(dir / "err.txt")};
}

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
}

TEST_CASE("doctest_integration_prints_the_report_summary_on_failure") {
  const fs::path dir = scratch("doctest");
  fs::create_directories(dir);
  const std::string cmd = "cd '" + dir.string() + "' && '" WEFT_DOCTEST_DEMO_BIN "' >out.txt 2>&1";
  const int raw = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(raw) != 0);
  const std::string out = slurp(dir / "out.txt");
  CHECK(has(out, "LostUpdate"));
  CHECK(has(out, "trace (the interleaving that led to it)"));
  CHECK(has(out, "weft::replay(body, weft::Schedule::load("));
  CHECK(has(out, "weft-schedule 1"));
}
