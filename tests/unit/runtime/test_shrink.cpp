#include <doctest/doctest.h>

#include <mutex>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/shrink");

using namespace weft_test;
using weft::BugKind;
using weft::Strategy;

namespace {

// A check-then-act between two locked sections of T3, raced by T4, amid two threads that only
// make noise on an atomic of their own: the bug needs one preemption (T3 between its sections),
// and a random schedule has many more.
void atomicity_violation_amid_noise() {
  weft::Mutex m("m");
  weft::Shared<int> x(0, "x");
  weft::Atomic<int> noise(0);
  auto noisy = [&] {
    for (int i = 0; i < 10; ++i) noise.fetch_add(1);
  };
  weft::Thread n1(noisy), n2(noisy);
  weft::Thread a([&] {
    int v = 0;
    {
      std::lock_guard g(m);
      v = x.load();
    }
    noise.fetch_add(1);
    std::lock_guard g(m);
    x.store(v + 1);
  });
  weft::Thread b([&] {
    std::lock_guard g(m);
    x.store(x.load() + 1);
  });
  a.join();
  b.join();
  n1.join();
  n2.join();
  WEFT_ASSERT(x.load() == 2);
}

// The assertion is in a worker, so the steps of the noise threads after it are not needed: a
// shorter schedule leaves them out.
void failing_worker_amid_noise() {
  weft::Atomic<int> flag(0);
  weft::Atomic<int> noise(0);
  auto noisy = [&] {
    for (int i = 0; i < 15; ++i) noise.fetch_add(1);
  };
  weft::Thread n1(noisy), n2(noisy);
  weft::Thread setter([&] { flag.store(1); });
  weft::Thread checker([&] { WEFT_ASSERT_MSG(flag.load() == 1, "the flag is not set yet"); });
  setter.join();
  checker.join();
  n1.join();
  n2.join();
}

weft::Options random_options(bool shrink) {
  weft::Options o;
  o.strategy = Strategy::Random;
  o.shrink = shrink;
  return o;
}

// A replay of the bug's schedule has the bug: its kind, message, trace and preemptions.
void replays_to(const std::function<void()>& body, const weft::Bug& bug) {
  const weft::Report again = weft::replay(body, bug.schedule);
  const weft::Bug* same = nullptr;
  for (const weft::Bug& b : again.bugs) {
    if (b.kind == bug.kind) same = &b;
  }
  REQUIRE_MESSAGE(same != nullptr, again.summary());
  CHECK(same->message == bug.message);
  CHECK(same->trace == bug.trace);
  CHECK(same->preemptions == bug.preemptions);
}

}  // namespace

TEST_CASE("shrinking_leaves_the_fewest_preemptions_the_bug_needs") {
  const weft::Report found = weft::explore(atomicity_violation_amid_noise, random_options(false));
  const weft::Report shrunk = weft::explore(atomicity_violation_amid_noise, random_options(true));
  REQUIRE(!found.ok());
  REQUIRE(!shrunk.ok());
  const weft::Bug& before = found.bugs[0];
  const weft::Bug& after = shrunk.bugs[0];
  CHECK(before.kind == BugKind::AssertionFailure);
  CHECK(after.kind == BugKind::AssertionFailure);
  CHECK(after.iteration == before.iteration);  // the same schedule found it
  CHECK(before.shrunk.empty());
  CHECK_MESSAGE(before.preemptions >= 4, before.schedule.to_string());
  // One switch away from T3 between its sections is all the bug takes.
  CHECK_MESSAGE(after.preemptions == 1, after.schedule.to_string());
  CHECK(contains(after.shrunk, "shrunk from "));
  CHECK(contains(after.shrunk, "1 preemption (" + std::to_string(before.preemptions) + " before)"));
  CHECK(contains(after.schedule.comment(), after.shrunk));
  CHECK(contains(shrunk.summary(), "(" + after.shrunk + ")"));
  replays_to(atomicity_violation_amid_noise, after);
  replays_to(atomicity_violation_amid_noise, before);
}

TEST_CASE("shrinking_removes_steps_the_bug_does_not_need") {
  const weft::Report found = weft::explore(failing_worker_amid_noise, random_options(false));
  const weft::Report shrunk = weft::explore(failing_worker_amid_noise, random_options(true));
  REQUIRE(!found.ok());
  REQUIRE(!shrunk.ok());
  const weft::Bug& after = shrunk.bugs[0];
  CHECK(after.kind == BugKind::AssertionFailure);
  CHECK(after.preemptions <= found.bugs[0].preemptions);
  CHECK(after.schedule.size() < found.bugs[0].schedule.size());
  // "shrunk from A to B steps": B < A.
  unsigned long from = 0, to = 0;
  REQUIRE(std::sscanf(after.shrunk.c_str(), "shrunk from %lu to %lu steps", &from, &to) == 2);
  CHECK_MESSAGE(to < from, after.shrunk);
  replays_to(failing_worker_amid_noise, after);
}

TEST_CASE("shrinking_keeps_deadlocks_races_and_the_kind_of_lost_update") {
  weft::Options o = random_options(true);
  o.stop_on_first_bug = false;
  o.iterations = 200;
  const weft::Report dead = weft::explore(abba, o);
  REQUIRE(dead.found(BugKind::Deadlock));
  for (const weft::Bug& b : dead.bugs) {
    if (b.kind != BugKind::Deadlock) continue;
    CHECK(b.preemptions <= 1);  // ABBA needs one thread stopped between its two locks
    replays_to(abba, b);
  }
  // A lost update that happened stays one that happens in the shrunk schedule.
  const weft::Report lost = weft::explore([] { lost_update(3, 2); }, o);
  for (const weft::Bug& b : lost.bugs) {
    if (b.kind != BugKind::LostUpdate || !contains(b.message, " wrote counter=")) continue;
    const weft::Report again = weft::replay([] { lost_update(3, 2); }, b.schedule);
    CHECK(again.found(BugKind::LostUpdate));
    CHECK(contains(again.bugs[0].message, " wrote counter="));
  }
}

TEST_CASE("shrunk_reports_are_byte_identical_run_to_run") {
  const weft::Report a = weft::explore(atomicity_violation_amid_noise, random_options(true));
  const weft::Report b = weft::explore(atomicity_violation_amid_noise, random_options(true));
  CHECK(a.summary() == b.summary());
}

TEST_CASE("proc_shrinking_in_a_worker_gives_the_same_schedule") {
  weft::Options o = random_options(true);
  const weft::Report here = weft::explore(atomicity_violation_amid_noise, o);
  o.isolate = true;
  const weft::Report isolated = weft::explore(atomicity_violation_amid_noise, o);
  o.isolate = false;
  o.jobs = 2;
  const weft::Report two = weft::explore(atomicity_violation_amid_noise, o);
  CHECK(here.summary() == isolated.summary());
  CHECK(here.summary() == two.summary());
}

TEST_CASE("shrink_off_reports_the_schedule_as_found_with_its_preemptions") {
  weft::Options o = random_options(false);
  const weft::Report r = weft::explore(atomicity_violation_amid_noise, o);
  REQUIRE(!r.ok());
  CHECK(r.bugs[0].shrunk.empty());
  CHECK_FALSE(contains(r.bugs[0].schedule.comment(), "shrunk"));
  CHECK_FALSE(contains(r.summary(), "shrunk"));
  // replay() counts the same preemptions in the schedule.
  CHECK(weft::replay(atomicity_violation_amid_noise, r.bugs[0].schedule).bugs[0].preemptions ==
        r.bugs[0].preemptions);
}

TEST_CASE("a_step_limit_is_reported_as_found") {
  weft::Options o = random_options(true);
  o.max_steps = 200;
  const weft::Report r = weft::explore(
      [] {
        weft::Atomic<bool> stop(false);
        weft::Thread t([&] {
          while (!stop.load()) weft::this_thread::yield();
        });
        t.join();
      },
      o);
  REQUIRE(r.found(BugKind::StepLimitExceeded));
  CHECK(r.bugs[0].shrunk.empty());
}

namespace {
// The atomicity violation, as it was (`edited` false) and after an edit that adds a step to
// main before the threads start and one to T4: the old schedule no longer fits.
void check_then_act(bool edited) {
  weft::Mutex m("m");
  weft::Shared<int> x(0, "x");
  weft::Atomic<int> setup(0);
  if (edited) setup.store(1);
  weft::Thread a([&] {
    int v = 0;
    {
      std::lock_guard g(m);
      v = x.load();
    }
    std::lock_guard g(m);
    x.store(v + 1);
  });
  weft::Thread b([&] {
    if (edited) setup.fetch_add(1);
    std::lock_guard g(m);
    x.store(x.load() + 1);
  });
  a.join();
  b.join();
  WEFT_ASSERT(x.load() == 2);
}
}  // namespace

TEST_CASE("replay_continue_carries_a_schedule_over_an_edit_of_the_body") {
  const weft::Report found = weft::explore([] { check_then_act(false); });
  REQUIRE(!found.ok());
  const weft::Schedule old = found.bugs[0].schedule;
  // A plain replay refuses it: the body is another one now.
  CHECK_THROWS_AS(weft::replay([] { check_then_act(true); }, old), weft::ScheduleError);
  const weft::Report r = weft::replay_continue([] { check_then_act(true); }, old);
  REQUIRE_MESSAGE(!r.ok(), r.summary());
  CHECK(r.bugs[0].kind == BugKind::AssertionFailure);
  CHECK(contains(r.bugs[0].schedule.comment(), "continued from a schedule: "));
  CHECK(contains(r.strategy, "replay --continue"));
  // The new schedule is the edited body's own: it replays exactly.
  const weft::Report again = weft::replay([] { check_then_act(true); }, r.bugs[0].schedule);
  REQUIRE(!again.ok());
  CHECK(again.bugs[0].message == r.bugs[0].message);
  // Byte-identical, run to run.
  CHECK(weft::replay_continue([] { check_then_act(true); }, old).summary() == r.summary());
}

TEST_CASE("replay_continue_of_a_schedule_that_fits_is_a_replay") {
  const weft::Report found = weft::explore([] { check_then_act(false); });
  REQUIRE(!found.ok());
  const weft::Report r =
      weft::replay_continue([] { check_then_act(false); }, found.bugs[0].schedule);
  REQUIRE(!r.ok());
  CHECK(r.iterations == 1);
  CHECK(r.bugs[0].schedule == found.bugs[0].schedule);
  CHECK(contains(r.bugs[0].schedule.comment(),
                 std::to_string(found.bugs[0].schedule.size()) + " of its " +
                     std::to_string(found.bugs[0].schedule.size()) + " decisions followed"));
}

TEST_CASE("replay_continue_of_a_correct_body_finds_nothing_and_stops") {
  const weft::Report found = weft::explore([] { check_then_act(false); });
  REQUIRE(!found.ok());
  weft::Options o;
  o.iterations = 50;
  // Fixed: the whole read-modify-write under one lock.
  const weft::Report r =
      weft::replay_continue([] { locked_counter(2, 1); }, found.bugs[0].schedule, o);
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.iterations == 50);
}

TEST_SUITE_END();
