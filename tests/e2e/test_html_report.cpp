// End-to-end: the CLI's --html page (explore and replay). What the page says is checked here;
// how a browser renders it, by the e2e.html_in_browser test. The cases are named cli_* like
// the other CLI cases: their work is done by subprocesses, which the valgrind run leaves out.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "run_binary.hpp"

TEST_SUITE_BEGIN("e2e/html_report");

using namespace weft_test;
namespace fs = std::filesystem;

namespace {

Run scenarios(const std::string& args, const fs::path& dir) {
  return run_binary(WEFT_SCENARIOS_BIN, args, dir);
}

std::string page_of(const fs::path& file) {
  const std::string text = slurp(file);
  REQUIRE_MESSAGE(text.rfind("<!DOCTYPE html>", 0) == 0, file.string());
  CHECK(text.back() == '\n');
  return text;
}

const std::string kBuggyAndClean = "explore '*: lo*' --strategy random --iterations 200";

}  // namespace

TEST_CASE("cli_html_explore_writes_one_page_with_every_scenario") {
  const fs::path dir = scratch("html-explore");
  const Run r = scenarios(kBuggyAndClean + " --html report.html", dir);
  CHECK(r.status == 1);
  const std::string page = page_of(dir / "report.html");
  CHECK(has(page, "<title>weft report</title>"));
  CHECK(has(page, "2 scenarios, 1 with bugs"));
  // A table of contents, then a section per scenario in the order explored.
  CHECK(has(page, "<a href=\"#s1\">buggy: lost update</a> <span class=\"bad\">"));
  CHECK(has(page, "<a href=\"#s2\">clean: locked counter</a> <span class=\"ok\">ok</span>"));
  CHECK(has(page,
            "<h2>clean: locked counter</h2><p class=\"summary\"><span class=\"ok\">no "
            "bug</span> · 200 schedules"));
  CHECK(has(page, "LostUpdate</span>"));
  CHECK(has(page, "<span class=\"lane\" style=\"grid-column:3\">T1</span>"));
  CHECK(has(page, "<b>store counter</b>"));
  // The replay command printed for the bug, with the schedule file it saved.
  CHECK(has(page, "weft-schedules/buggy-lost-update.schedule"));
  CHECK(has(r.out, "weft-schedules/buggy-lost-update.schedule"));
  // Byte-identical run to run, and for any --jobs.
  CHECK(scenarios(kBuggyAndClean + " --html again.html", dir).status == 1);
  CHECK(slurp(dir / "again.html") == page);
  CHECK(scenarios(kBuggyAndClean + " --jobs 2 --html jobs.html", dir).status == 1);
  CHECK(slurp(dir / "jobs.html") == page);
}

TEST_CASE("cli_html_replay_shows_the_bug_or_the_clean_run") {
  const fs::path dir = scratch("html-replay");
  REQUIRE(scenarios("explore 'buggy: lost update' --strategy random", dir).status == 1);
  const std::string file = "weft-schedules/buggy-lost-update.schedule";
  const Run r = scenarios("replay 'buggy: lost update' " + file + " --html replay.html", dir);
  CHECK(r.status == 1);
  const std::string page = page_of(dir / "replay.html");
  CHECK(has(page, "<title>weft: buggy: lost update</title>"));
  CHECK(has(page, "strategy replay"));
  CHECK(has(page, "races with →"));
  CHECK(has(page, "<div class=\"trace\""));

  // A schedule without a bug: the page shows the run it makes.
  REQUIRE(
      scenarios("explore 'clean: locked counter' --iterations 5 --json clean.json", dir).status ==
      0);
  const std::string json = slurp(dir / "clean.json");
  const std::string key = "\"last\":\"";
  const std::size_t at = json.find(key);
  REQUIRE(at != std::string::npos);
  std::string last =
      json.substr(at + key.size(), json.find('"', at + key.size()) - at - key.size());
  for (std::size_t nl = last.find("\\n"); nl != std::string::npos; nl = last.find("\\n", nl)) {
    last.replace(nl, 2, "\n");
  }
  std::ofstream(dir / "last.schedule") << last;
  const Run ok = scenarios("replay 'clean: locked counter' last.schedule --html ok.html", dir);
  CHECK(ok.status == 0);
  const std::string clean = page_of(dir / "ok.html");
  CHECK(has(clean, "no bug"));
  CHECK(has(clean, "the schedule's run:"));
  CHECK(has(clean, "<b>lock m</b>"));
}

// A Crash's steps come from a child process: the page shows them as lanes all the same.
TEST_CASE("cli_html_of_a_crash_has_the_steps_before_it") {
  const fs::path dir = scratch("html-crash");
  const Run r = scenarios(
      "explore 'crashes: null write in one interleaving' --strategy random --iterations 200 "
      "--html crash.html",
      dir);
  CHECK(r.status == 1);
  const std::string page = page_of(dir / "crash.html");
  CHECK(has(page, "Crash</span>"));
  CHECK(has(page, "<div class=\"trace\""));
  CHECK(has(page, "<span class=\"lane\""));
  // The child sends each step's file and line too: the page quotes the user's source.
  CHECK(has(page, "<code class=\"src\">"));
}

TEST_CASE("cli_html_to_a_path_that_cannot_be_written_is_refused_before_exploring") {
  const fs::path dir = scratch("html-bad-path");
  for (const char* command : {"explore 'buggy: lost update'", "replay 'buggy: lost update' x"}) {
    CAPTURE(command);
    const Run r = scenarios(std::string(command) + " --html /proc/weft-nope/x.html", dir);
    CHECK(r.status == 2);
    CHECK(has(r.err, "--html /proc/weft-nope/x.html"));
    CHECK(r.out.empty());
  }
  const Run missing = scenarios("replay 'buggy: lost update' x --html", dir);
  CHECK(missing.status == 2);
  CHECK(has(missing.err, "--html needs a value"));
}
