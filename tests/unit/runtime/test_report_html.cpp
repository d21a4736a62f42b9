// weft::to_html / write_html: the page of a report, and the structured pieces it is drawn from
// (Bug::steps, Bug::sites). The page's rendering in a browser is checked by the
// html.chromium_dom test (tests/html); these cases check what the page says.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <weft/report_html.hpp>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/report_html");

using namespace weft_test;
using weft::BugKind;

namespace {

// The seed's lost update, with load() and store() spelled out: they capture their line, which
// operators (counter += 1) leave to debug information that clang 14 does not give for them
// (tests/build_modes/sanitize.sh).
void lost_update_body() {
  weft::Shared<int> counter(0, "counter");
  auto increment = [&] { counter.store(counter.load() + 1); };  // racy: load, then store
  weft::Thread a(increment), b(increment);
  a.join();
  b.join();
  WEFT_ASSERT(counter.load() == 2);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

weft::Bug first_of(const weft::Report& r, BugKind kind) {
  for (const weft::Bug& b : r.bugs) {
    if (b.kind == kind) return b;
  }
  FAIL("no ", weft::to_string(kind), " in ", r.summary());
  return {};
}

std::string lane(const std::string& name) { return "\">" + name + "</span>"; }

}  // namespace

TEST_CASE("a_bugs_steps_are_the_rows_of_its_trace_and_trace_steps_gives_the_same") {
  const weft::Report r = weft::explore(lost_update_body, with(weft::Strategy::Random, 200));
  const weft::Bug bug = first_of(r, BugKind::LostUpdate);
  const std::vector<weft::TraceStep> again = weft::trace_steps(lost_update_body, bug.schedule);
  REQUIRE(bug.steps.size() == again.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    CAPTURE(i);
    CHECK(bug.steps[i].step == again[i].step);
    CHECK(bug.steps[i].thread_name == again[i].thread_name);
    CHECK(bug.steps[i].operation == again[i].operation);
    CHECK(bug.steps[i].value == again[i].value);
    CHECK(bug.steps[i].location == again[i].location);
    CHECK(bug.steps[i].file == again[i].file);
    CHECK(bug.steps[i].line == again[i].line);
    // Each row of the text trace is one of these steps.
    CHECK(contains(bug.trace, bug.steps[i].operation));
  }
  // The file is the one the compiler named, so a viewer can open it; the line is the row's.
  bool stores = false;
  for (const weft::TraceStep& s : bug.steps) {
    if (s.operation != "store counter") continue;
    stores = true;
    CHECK(std::filesystem::path(s.file).filename() == "test_report_html.cpp");
    CHECK(contains(s.location, "test_report_html.cpp:" + std::to_string(s.line)));
  }
  CHECK(stores);
}

TEST_CASE("a_race_names_its_two_accesses_as_sites") {
  const weft::Report r = weft::explore(lost_update_body, with(weft::Strategy::Random, 200));
  const weft::Bug bug = first_of(r, BugKind::LostUpdate);
  REQUIRE(bug.sites.size() == 2);
  for (const weft::BugSite& s : bug.sites) {
    CHECK(contains(s.location, "test_report_html.cpp:"));
    CHECK(contains(bug.message, s.thread + " at " + s.location));
    CHECK(s.what.rfind("writes", 0) == 0);
  }
  CHECK(bug.sites[0].thread != bug.sites[1].thread);
  // The assertion the lost update breaks points at nothing but itself.
  CHECK(first_of(r, BugKind::AssertionFailure).sites.empty());
}

TEST_CASE("a_lock_order_cycle_and_a_deadlock_name_their_sites_in_pairs") {
  weft::Options o = with(weft::Strategy::Random, 500);
  o.stop_on_first_bug = false;
  const weft::Report r = weft::explore(abba, o);
  const weft::Bug cycle = first_of(r, BugKind::LockOrderInversion);
  REQUIRE(cycle.sites.size() == 4);  // per edge: the lock held, then the one waited for
  for (std::size_t k = 0; k < 4; k += 2) {
    CHECK(cycle.sites[k].thread == cycle.sites[k + 1].thread);
    CHECK(cycle.sites[k].what.rfind("holds lock_", 0) == 0);
    CHECK(cycle.sites[k + 1].what.rfind("waits for lock_", 0) == 0);
    CHECK(contains(cycle.message, cycle.sites[k].location));
  }
  const weft::Bug deadlock = first_of(r, BugKind::Deadlock);
  REQUIRE(deadlock.sites.size() >= 4);
  REQUIRE(deadlock.sites.size() % 2 == 0);
  // T1 waits for the lock T2 holds and the other way round: the holder has no location.
  CHECK(deadlock.sites[0].what.rfind("waits for lock_", 0) == 0);
  CHECK(!deadlock.sites[0].location.empty());
  CHECK(deadlock.sites[1].location.empty());
  CHECK(deadlock.sites[1].what == "holds " + deadlock.sites[0].what.substr(10));
  CHECK(deadlock.sites[1].thread == deadlock.sites[2].thread);
  CHECK(deadlock.sites[3].thread == deadlock.sites[0].thread);
}

TEST_CASE("the_page_has_a_lane_per_thread_the_sites_joined_and_the_users_lines") {
  const weft::Report r = weft::explore(lost_update_body, with(weft::Strategy::Random, 200));
  REQUIRE(r.found(BugKind::LostUpdate));
  const std::string page = weft::to_html(r);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(contains(page, "<meta charset=\"utf-8\">"));
  for (const char* thread : {"main", "T1", "T2"}) CHECK(contains(page, lane(thread)));
  CHECK(contains(page, "<b>store counter</b>"));
  CHECK(contains(page, "LostUpdate</span>"));
  // The two accesses: listed, and the rows they are marked so the script joins them.
  CHECK(contains(page, "races with →"));
  CHECK(contains(page, "data-a=\"f0\""));
  CHECK(contains(page, "data-a=\"t0\""));
  // The user's source line, read from the file the step names.
  CHECK(contains(
      page,
      "<code class=\"src\">auto increment = [&amp;] { counter.store(counter.load() + 1); };"));
  // Self-contained: nothing to fetch.
  CHECK(!contains(page, "src=\"http"));
  CHECK(!contains(page, "href=\"http"));
  CHECK(!contains(page, "<link"));
  // The same report gives the same bytes, and so does the same exploration.
  CHECK(weft::to_html(r) == page);
  CHECK(weft::to_html(weft::explore(lost_update_body, with(weft::Strategy::Random, 200))) == page);
}

TEST_CASE("a_deadlock_page_draws_the_wait_for_graph") {
  const weft::Report r = weft::explore(abba, with(weft::Strategy::Random, 500));
  REQUIRE(r.found(BugKind::Deadlock));
  const std::string page = weft::to_html(r);
  CHECK(contains(page, "<figure class=\"waitfor\">"));
  CHECK(count(page, "<circle class=\"wf-thread\"") >= 2);
  CHECK(count(page, "<path class=\"wf-edge\"") >= 2);
  CHECK(contains(page, "<text class=\"wf-label\""));
  CHECK(contains(page, "is blocked by →"));
  CHECK(contains(page, "(blocks: held by T"));
  CHECK(contains(page, "<div class=\"row blocked site\""));
}

TEST_CASE("a_stale_read_is_marked_on_the_page") {
  auto body = [] {
    weft::Atomic<int> data(0, "data"), flag(0, "flag");
    weft::Thread writer([&] {
      data.store(1, std::memory_order_relaxed);
      flag.store(1, std::memory_order_relaxed);
    });
    weft::Thread reader([&] {
      if (flag.load(std::memory_order_relaxed) == 1) {
        WEFT_ASSERT(data.load(std::memory_order_relaxed) == 1);
      }
    });
    writer.join();
    reader.join();
  };
  weft::Options o;
  o.strategy = weft::Strategy::DFS;
  const weft::Report r = weft::explore(body, o);
  REQUIRE(r.found(BugKind::AssertionFailure));
  const std::string page = weft::to_html(r);
  CHECK(contains(page, "<span class=\"badge\">stale read</span>"));
  CHECK(contains(page, "class=\"row stale\""));
  CHECK(contains(page, "(from the initial value; stale: T1&#39;s store at"));
}

TEST_CASE("names_and_values_are_escaped_and_bytes_that_are_not_utf8_replaced") {
  auto body = [] {
    weft::Shared<int> x(0, "x");
    weft::Thread t([&] {
      weft::this_thread::set_name("<script>alert(\"hi\")</script>\xff");
      x.store(1);
    });
    x.store(2);
    t.join();
  };
  const weft::Report r = weft::explore(body, with(weft::Strategy::Random, 100));
  REQUIRE(r.found(BugKind::DataRace));
  const std::string page = weft::to_html(r);
  CHECK(!contains(page, "<script>alert"));
  CHECK(contains(page, "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;\xEF\xBF\xBD"));
  CHECK(count(page, "<script>") == 1);  // the page's own
}

TEST_CASE("a_bug_without_steps_shows_its_text_trace_and_a_clean_report_says_so") {
  weft::Report r;
  r.strategy = "random";
  r.iterations = 3;
  weft::Bug crash;
  crash.kind = BugKind::Crash;
  crash.message = "the body crashed: killed by signal 11 (Segmentation fault)";
  crash.trace = "  step  thread  operation\n     1  main    spawn & <join>\n";
  r.bugs.push_back(crash);
  const std::string page = weft::to_html(r);
  CHECK(contains(page, "Crash</span>"));
  CHECK(contains(page,
                 "<pre class=\"text\">  step  thread  operation\n     1  main    spawn &amp; "
                 "&lt;join&gt;\n</pre>"));
  CHECK(!contains(page, "<div class=\"trace\""));

  const weft::Report clean =
      weft::explore([] { locked_counter(2, 1); }, with(weft::Strategy::POS, 20));
  REQUIRE(clean.ok());
  const std::string ok = weft::to_html(clean);
  CHECK(contains(ok, "<span class=\"ok\">no bug</span> · 20 schedules"));
  CHECK(!contains(ok, "<section class=\"bug\""));
}

TEST_CASE("runs_of_steps_away_from_the_bug_fold_and_the_sites_stay_open") {
  // Many locked increments before the racy one: dozens of steps that tell nothing.
  auto body = [] {
    weft::Mutex m("m");
    weft::Shared<int> quiet(0, "quiet"), racy(0, "racy");
    auto work = [&] {
      for (int i = 0; i < 10; ++i) {
        std::lock_guard g(m);
        quiet += 1;
      }
      racy.store(racy.load() + 1);
    };
    weft::Thread a(work), b(work);
    a.join();
    b.join();
  };
  const weft::Report r = weft::explore(body, with(weft::Strategy::Random, 200));
  const weft::Bug bug = first_of(r, BugKind::LostUpdate);
  REQUIRE(bug.steps.size() > 40);
  const std::string page = weft::to_html(r);
  CHECK(contains(page, "<details class=\"fold\"><summary>"));
  // A site's row is never inside a fold.
  for (const char* mark : {"data-a=\"f0\"", "data-a=\"t0\""}) {
    const std::size_t at = page.find(mark);
    REQUIRE(at != std::string::npos);
    const std::size_t opened = page.rfind("<details class=\"fold\">", at);
    const std::size_t closed = page.rfind("</details>", at);
    CHECK((opened == std::string::npos || (closed != std::string::npos && closed > opened)));
  }
}

TEST_CASE("write_html_writes_the_page_and_names_the_path_it_cannot_write") {
  const weft::Report r = weft::explore(lost_update_body, with(weft::Strategy::Random, 50));
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "weft-html-test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "report.html";
  weft::write_html(r, file);
  std::ifstream in(file, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), {});
  CHECK(written == weft::to_html(r));
  try {
    weft::write_html(r, dir / "no-such-folder" / "report.html");
    FAIL("write_html wrote into a folder that does not exist");
  } catch (const std::system_error& e) {
    CHECK(contains(e.what(), "weft::write_html: cannot write"));
    CHECK(contains(e.what(), "no-such-folder"));
  }
  std::filesystem::remove_all(dir);
}
