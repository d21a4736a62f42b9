#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <weft/weft.hpp>

TEST_SUITE_BEGIN("runtime/schedule");

using weft::Schedule;
using weft::ScheduleError;
using D = weft::Schedule::Decision;

namespace {

ScheduleError parse_error(const std::string& text) {
  try {
    Schedule::parse(text);
  } catch (const ScheduleError& e) {
    return e;
  }
  FAIL("no ScheduleError for: " << text);
  return ScheduleError("unreachable");
}

}  // namespace

TEST_CASE("schedule_text_round_trips_with_repeats_choices_and_limits") {
  Schedule s({D{0, 0}, D{0, 0}, D{0, 0}, D{1, 0}, D{1, 2}, D{2, 0}, D{7, 9}, D{7, 9}},
             "found by test\nsecond line");
  s.set_max_steps(500);
  const std::string text = s.to_string();
  CHECK(text.rfind("weft-schedule 2\n", 0) == 0);
  CHECK(text.find("t0*3 t1 c1/2 t2 c7/9*2") != std::string::npos);
  const Schedule back = Schedule::parse(text);
  CHECK(back == s);
  CHECK(back.max_steps() == 500);
  CHECK(back.comment() == "found by test\nsecond line");
  CHECK(back.to_string() == text);
}

TEST_CASE("schedule_parses_whitespace_comments_and_line_breaks") {
  const Schedule s =
      Schedule::parse("\n  weft-schedule 2   # header comment\n\n# c\nt0 t1\n\tt2*2 # x\nc0/3\n");
  REQUIRE(s.size() == 5);
  CHECK(s.decisions()[3] == D{2, 0});
  CHECK(s.decisions()[4] == D{0, 3});
}

TEST_CASE("empty_schedule_round_trips") {
  const Schedule s = Schedule::parse("weft-schedule 2\n");
  CHECK(s.empty());
  CHECK(Schedule::parse(s.to_string()) == s);
}

TEST_CASE("schedule_file_round_trips") {
  const auto dir = std::filesystem::temp_directory_path() / "weft-test-schedule";
  std::filesystem::create_directories(dir);
  const auto path = dir / "a.schedule";
  Schedule s({D{0, 0}, D{3, 0}, D{1, 4}});
  s.save(path);
  CHECK(Schedule::load(path) == s);
  std::filesystem::remove_all(dir);
}

TEST_CASE("malformed_schedules_give_line_and_column") {
  SUBCASE("empty text") {
    const auto e = parse_error("");
    CHECK(e.line() == 1);
    CHECK(std::string(e.what()).find("not a weft schedule") != std::string::npos);
  }
  SUBCASE("foreign file") {
    const auto e = parse_error("{\"json\": true}\n");
    CHECK(e.line() == 1);
    CHECK(e.column() == 1);
  }
  SUBCASE("future version") {
    const auto e = parse_error("weft-schedule 3\nt0\n");
    CHECK(e.column() == 15);
    CHECK(std::string(e.what()).find("unsupported schedule format version '3'") !=
          std::string::npos);
  }
  SUBCASE("version 1: every Shared<T> access was a point then") {
    const auto e = parse_error("weft-schedule 1\nt0 t1\n");
    CHECK(e.line() == 1);
    CHECK(std::string(e.what()).find("version 1 was written by an earlier weft") !=
          std::string::npos);
    CHECK(std::string(e.what()).find("explore again") != std::string::npos);
  }
  SUBCASE("racy without a site") { parse_error("weft-schedule 2\nracy\nt0\n"); }
  SUBCASE("racy after decisions") { parse_error("weft-schedule 2\nt0\nracy a.cpp:3\n"); }
  SUBCASE("shared-points other than all") { parse_error("weft-schedule 2\nshared-points some\n"); }
  SUBCASE("missing version") { CHECK(parse_error("weft-schedule\n").line() == 1); }
  SUBCASE("unknown token") {
    const auto e = parse_error("weft-schedule 2\nt0 t1\n  x3\n");
    CHECK(e.line() == 3);
    CHECK(e.column() == 3);
  }
  SUBCASE("thread without id") { CHECK(parse_error("weft-schedule 2\nt\n").line() == 2); }
  SUBCASE("choice out of range") {
    const auto e = parse_error("weft-schedule 2\nt0 c3/2\n");
    CHECK(e.line() == 2);
    CHECK(e.column() == 4);
  }
  SUBCASE("choice bound below 2") { parse_error("weft-schedule 2\nc0/1\n"); }
  SUBCASE("choice without bound") { parse_error("weft-schedule 2\nc0\n"); }
  SUBCASE("zero repeat") { parse_error("weft-schedule 2\nt0*0\n"); }
  SUBCASE("empty repeat") { parse_error("weft-schedule 2\nt0*\n"); }
  SUBCASE("junk after id") { parse_error("weft-schedule 2\nt0x\n"); }
  SUBCASE("huge id") { parse_error("weft-schedule 2\nt99999999999\n"); }
  SUBCASE("max-steps after decisions") { parse_error("weft-schedule 2\nt0\nmax-steps 5\n"); }
  SUBCASE("bad max-steps") { parse_error("weft-schedule 2\nmax-steps -5\n"); }
}

TEST_CASE("loading_a_missing_schedule_file_is_a_system_error") {
  CHECK_THROWS_AS(Schedule::load("/nonexistent/weft/x.schedule"), std::system_error);
}

TEST_CASE("loading_a_malformed_file_names_the_file") {
  const auto path = std::filesystem::temp_directory_path() / "weft-bad.schedule";
  {
    std::ofstream out(path, std::ios::binary);
    out << "weft-schedule 2\nt0 \x01\x02\n";
  }
  try {
    Schedule::load(path);
    FAIL("expected ScheduleError");
  } catch (const ScheduleError& e) {
    CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
    CHECK(e.line() == 2);
  }
  std::filesystem::remove(path);
}

TEST_CASE("a_schedule_names_its_scenario_and_round_trips") {
  using D = weft::Schedule::Decision;
  weft::Schedule s({D{0, 0}, D{1, 0}});
  s.set_scenario("bank: two\nlines");
  const std::string text = s.to_string();
  CHECK(text.find("scenario bank: two lines\n") != std::string::npos);
  const weft::Schedule back = weft::Schedule::parse(text);
  CHECK(back.scenario() == "bank: two lines");
  CHECK(back == s);
  CHECK_THROWS_AS(weft::Schedule::parse("weft-schedule 2\nt0\nscenario late\n"),
                  weft::ScheduleError);
  CHECK_THROWS_AS(weft::Schedule::parse("weft-schedule 2\nscenario\nt0\n"), weft::ScheduleError);
}

TEST_CASE("a_schedule_carries_its_body_fingerprint") {
  Schedule s({D{0, 0}, D{1, 0}});
  s.set_body(0x00c0ffee12345678ull);
  const std::string text = s.to_string();
  CHECK(text.find("body 00c0ffee12345678\n") != std::string::npos);
  CHECK(Schedule::parse(text).body() == 0x00c0ffee12345678ull);
  CHECK(Schedule::parse("weft-schedule 2\nt0\n").body() == 0);
  CHECK(std::string(parse_error("weft-schedule 2\nbody 12\nt0\n").what())
            .find("bad body value '12' (16 hex digits)") != std::string::npos);
  CHECK(parse_error("weft-schedule 2\nbody 0000000000000000\n").line() == 2);
  CHECK(parse_error("weft-schedule 2\nbody 00000000000000zz\n").column() > 0);
  CHECK(std::string(parse_error("weft-schedule 2\nt0\nbody 00c0ffee12345678\n").what())
            .find("'body' must come once, before the decisions") != std::string::npos);
}

namespace {

void two_threads_one_lock() {
  weft::Mutex m("m");
  weft::Thread t([&] { const std::lock_guard<weft::Mutex> g(m); });
  { const std::lock_guard<weft::Mutex> g(m); }
  t.join();
}

void other_body() {
  weft::Atomic<int> x(0, "x");
  weft::Thread t([&] { x.store(1); });
  x.store(2);
  (void)x.load();
  t.join();
}

}  // namespace

// A schedule replayed on a body it was not recorded from is refused as input, not reported as
// the body's nondeterminism; without a fingerprint the divergence is reported as before.
TEST_CASE("replaying_another_bodys_schedule_is_a_schedule_error") {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = 1;
  const weft::Report r = weft::explore(other_body, o);
  REQUIRE(r.ok());
  // A recorded schedule (as a bug's would be), with the fingerprint of its body.
  const weft::Report mine = weft::explore(
      [] {
        other_body();
        WEFT_ASSERT(false);
      },
      o);
  REQUIRE(mine.bugs.size() == 1);
  const Schedule recorded = mine.bugs[0].schedule;
  REQUIRE(recorded.body() != 0);
  CHECK(weft::replay(
            [] {
              other_body();
              WEFT_ASSERT(false);
            },
            recorded)
            .found(weft::BugKind::AssertionFailure));
  try {
    (void)weft::replay(two_threads_one_lock, recorded);
    FAIL("no ScheduleError");
  } catch (const ScheduleError& e) {
    CHECK(std::string(e.what()).find("recorded for a different body") != std::string::npos);
  }
  Schedule anonymous = recorded;
  anonymous.set_body(0);
  CHECK(weft::replay(two_threads_one_lock, anonymous).found(weft::BugKind::Nondeterminism));

  // A saved schedule cut short is refused as such.
  std::vector<D> half = recorded.decisions();
  half.resize(half.size() / 2);
  Schedule cut(half);
  cut.set_body(recorded.body());
  try {
    (void)weft::replay(
        [] {
          other_body();
          WEFT_ASSERT(false);
        },
        cut);
    FAIL("no ScheduleError");
  } catch (const ScheduleError& e) {
    CHECK_MESSAGE(
        std::string(e.what()).find("the schedule ends before the run does") != std::string::npos,
        e.what());
  }
}

TEST_CASE("a_schedule_records_its_shared_points") {
  Schedule s({D{0, 0}});
  s.set_racy_sites({"b.cpp:7", "a.cpp:12", "b.cpp:7"});
  const std::string text = s.to_string();
  CHECK(text.find("racy a.cpp:12\nracy b.cpp:7\n") != std::string::npos);
  const Schedule back = Schedule::parse(text);
  CHECK(back.racy_sites() == std::vector<std::string>{"a.cpp:12", "b.cpp:7"});
  CHECK(!back.all_shared_points());
  Schedule all({D{0, 0}});
  all.set_all_shared_points(true);
  CHECK(all.to_string().find("shared-points all\n") != std::string::npos);
  CHECK(Schedule::parse(all.to_string()).all_shared_points());
}

// Found by reading the parser, confirmed by tests/fuzz/fuzz_schedule_parse (its input is in
// tests/fuzz/regressions/schedule_parse/): a 30-byte file asked for 8 GiB of decisions.
TEST_CASE("a_schedule_of_more_than_2_to_the_26_decisions_is_an_error_not_an_allocation") {
  try {
    (void)Schedule::parse("weft-schedule 2\nt0*1073741824\n");
    FAIL("no ScheduleError");
  } catch (const ScheduleError& e) {
    CHECK_MESSAGE(std::string(e.what()).find("more than 67108864 decisions") != std::string::npos,
                  e.what());
    CHECK(e.line() == 2);
  }
  // Up to the limit, over several tokens, it parses and prints back as it was.
  const Schedule at_limit = Schedule::parse("weft-schedule 2\nt0*33554432 t1*33554432\n");
  CHECK(at_limit.decisions().size() == std::size_t{1} << 26);
  CHECK(Schedule::parse(at_limit.to_string()) == at_limit);
  CHECK_THROWS_AS(Schedule::parse("weft-schedule 2\nt0*33554432 t1*33554432 t0\n"), ScheduleError);
}

TEST_SUITE_END();
