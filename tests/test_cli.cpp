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
