// weft::to_json: a report as a versioned JSON document, read back here with a JSON parser (not
// by matching text), so that the tests check what a tool reading it would see.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/report_json");

using namespace weft_test;
using Json = nlohmann::json;

namespace {

void lost_update_body() { lost_update(2, 1); }
void clean_body() { locked_counter(2, 2); }

weft::Report buggy_report() {
  weft::Options o = with(weft::Strategy::Random, 200);
  o.stop_on_first_bug = false;
  return weft::explore(lost_update_body, o);
}

// The fields every bug has whether or not its steps are known.
void check_bug_fields(const Json& j, const weft::Bug& bug) {
  CHECK(j.at("kind") == std::string(weft::to_string(bug.kind)));
  CHECK(j.at("message") == bug.message);
  CHECK(j.at("iteration") == bug.iteration);
  CHECK(j.at("preemptions") == bug.preemptions);
  if (bug.shrunk.empty()) {
    CHECK(j.at("shrunk").is_null());
  } else {
    CHECK(j.at("shrunk") == bug.shrunk);
  }
  CHECK(j.at("schedule") == bug.schedule.to_string());
  CHECK(weft::Schedule::parse(j.at("schedule").get<std::string>()) == bug.schedule);
  CHECK(j.at("decisions") == bug.schedule.size());
  CHECK(j.at("trace") == bug.trace);
}

}  // namespace

TEST_CASE("to_json_of_a_buggy_report_has_every_field_and_the_steps_recorded_when_found") {
  const weft::Report r = buggy_report();
  REQUIRE(!r.ok());
  const Json j = Json::parse(weft::to_json(r));
  CHECK(j.at("format") == "weft-report");
  CHECK(j.at("version") == 1);
  CHECK(j.at("version") == weft::report_json_version);
  CHECK(j.at("strategy") == "random");
  CHECK(j.at("seed") == 0);
  CHECK(j.at("iterations") == r.iterations);
  CHECK(j.at("exhausted") == false);
  CHECK(j.at("ok") == false);
  CHECK(j.at("last").is_null());
  REQUIRE(j.at("bugs").size() == r.bugs.size());
  for (std::size_t b = 0; b < r.bugs.size(); ++b) {
    CAPTURE(b);
    check_bug_fields(j["bugs"][b], r.bugs[b]);
    // Recorded when the bug was found (Bug::steps): the body is not needed for them.
    REQUIRE(!r.bugs[b].steps.empty());
    CHECK(j["bugs"][b].at("steps").size() == r.bugs[b].steps.size());
  }
  CHECK(r.found(weft::BugKind::LostUpdate));
  // The keys in the documented order, so that two files diff line by line once pretty-printed.
  const std::string text = weft::to_json(r);
  const auto ordered = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [key, value] : ordered.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"format", "version", "strategy", "seed", "iterations",
                                         "exhausted", "ok", "bugs", "last"});
  keys.clear();
  for (const auto& [key, value] : ordered["bugs"][0].items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"kind", "message", "iteration", "preemptions", "shrunk",
                                         "schedule", "decisions", "steps", "trace"});
  CHECK(text.back() == '}');  // no newline: the caller decides how to end a file
}

TEST_CASE("to_json_with_the_body_adds_the_steps_of_each_bugs_schedule") {
  const weft::Report r = buggy_report();
  REQUIRE(!r.ok());
  const Json j = Json::parse(weft::to_json(r, lost_update_body));
  REQUIRE(j.at("bugs").size() == r.bugs.size());
  for (std::size_t b = 0; b < r.bugs.size(); ++b) {
    CAPTURE(b);
    const Json& bug = j["bugs"][b];
    check_bug_fields(bug, r.bugs[b]);
    const std::vector<weft::TraceStep> expected =
        weft::trace_steps(lost_update_body, r.bugs[b].schedule);
    REQUIRE(!expected.empty());
    REQUIRE(bug.at("steps").size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const Json& s = bug["steps"][i];
      CHECK(s.at("step") == expected[i].step);
      CHECK(s.at("thread") == expected[i].thread);
      CHECK(s.at("thread_name") == expected[i].thread_name);
      CHECK(s.at("operation") == expected[i].operation);
      CHECK(s.at("value") == expected[i].value);
      CHECK(s.at("location") == expected[i].location);
      CHECK(s.at("blocked") == expected[i].blocked);
    }
    bool stores = false;
    for (const Json& s : bug["steps"]) stores = stores || s["operation"] == "store counter";
    CHECK(stores);
  }
  // The steps recorded when the bugs were found are the same: the body adds nothing here.
  CHECK(weft::to_json(r, lost_update_body) == weft::to_json(r));
  // A bug without them (as a Crash's, recorded in a child process) is replayed for them, and
  // only its steps differ from the document without the body.
  weft::Report bare = r;
  for (weft::Bug& bug : bare.bugs) bug.steps.clear();
  Json without = Json::parse(weft::to_json(bare));
  for (const Json& bug : without["bugs"]) CHECK(bug.at("steps").is_null());
  Json with_steps = Json::parse(weft::to_json(bare, lost_update_body));
  CHECK(with_steps == j);
  for (Json& bug : with_steps["bugs"]) bug["steps"] = nullptr;
  CHECK(with_steps == without);
  CHECK_THROWS_AS(weft::to_json(r, std::function<void()>()), weft::UsageError);
}

TEST_CASE("to_json_of_a_clean_report_has_no_bugs_and_its_last_schedule") {
  const weft::Report r = weft::explore(clean_body, with(weft::Strategy::POS, 50));
  REQUIRE(r.ok());
  const Json j = Json::parse(weft::to_json(r, clean_body));
  CHECK(j.at("format") == "weft-report");
  CHECK(j.at("strategy") == "pos");
  CHECK(j.at("iterations") == 50);
  CHECK(j.at("ok") == true);
  CHECK(j.at("bugs").empty());
  REQUIRE(j.at("last").is_string());
  CHECK(weft::Schedule::parse(j["last"].get<std::string>()) == r.last);
  // DFS over a body with one schedule covers the whole space.
  const weft::Report dfs =
      weft::explore([] { weft::Thread([] {}).join(); }, with(weft::Strategy::DFS, 100));
  CHECK(Json::parse(weft::to_json(dfs)).at("exhausted") == true);
}

TEST_CASE("to_json_is_byte_identical_for_the_same_report") {
  const weft::Report a = buggy_report();
  const weft::Report b = buggy_report();
  CHECK(weft::to_json(a) == weft::to_json(b));
  CHECK(weft::to_json(a, lost_update_body) == weft::to_json(b, lost_update_body));
  CHECK(weft::to_json(a) == weft::to_json(a));
}

TEST_CASE("to_json_keeps_text_that_is_not_utf8_readable") {
  weft::Report r;
  r.strategy = "replay";
  r.iterations = 1;
  weft::Bug bug;
  bug.kind = weft::BugKind::UncaughtException;
  bug.message = "exception \"bad\xff\" \n escaped";
  bug.trace = "a\tb\n";
  bug.iteration = 1;
  bug.schedule = weft::Schedule({{0, 0}, {1, 0}});
  r.bugs.push_back(bug);
  const std::string text = weft::to_json(r);
  const Json j = Json::parse(text);  // throws on invalid JSON or invalid UTF-8
  CHECK(j["bugs"][0]["message"] == "exception \"bad\xEF\xBF\xBD\" \n escaped");
  CHECK(j["bugs"][0]["trace"] == "a\tb\n");
  CHECK(j["bugs"][0]["decisions"] == 2);
  CHECK(j.at("seed") == 0);
  // The largest seed is written exactly, not as a rounded floating-point number.
  r.seed = UINT64_MAX;
  CHECK(weft::to_json(r).find("\"seed\":18446744073709551615,") != std::string::npos);
}

TEST_SUITE_END();
