// SharedPoints::Racy: Shared<T> accesses are scheduling points only at the declarations of
// variables the race checker saw race in probe runs; every access is still observed, so races
// are reported either way, and the bugs that need an interleaving at the racy accesses are
// still reachable.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/shared_points");

using namespace weft_test;
using weft::BugKind;
using weft::SharedPoints;
using weft::Strategy;

namespace {

// Check-then-act over two locked sections: each access is ordered by the lock (no race), but
// another withdrawal can run between the check and the act.
void atomicity_violation() {
  weft::Mutex m("m");
  weft::Shared<int> balance(100, "balance");
  auto withdraw = [&] {
    bool enough = false;
    {
      std::lock_guard g(m);
      enough = balance.load() >= 100;
    }
    if (enough) {
      std::lock_guard g(m);
      balance.store(balance.load() - 100);
    }
  };
  weft::Thread t(withdraw);
  withdraw();
  t.join();
  WEFT_ASSERT(balance.load() >= 0);
}

weft::Options options(Strategy s, std::uint64_t iterations, SharedPoints points) {
  weft::Options o = with(s, iterations);
  o.shared_points = points;
  return o;
}

}  // namespace

TEST_CASE("a_racy_increment_is_reported_from_the_first_schedule") {
  const weft::Report r = weft::explore([] { lost_update(2, 1); }, weft::Options{});
  REQUIRE(!r.ok());
  CHECK(r.bugs[0].kind == BugKind::LostUpdate);
  CHECK(r.bugs[0].iteration == 1);
  // The racy variable is where the schedule makes its accesses scheduling points.
  CHECK(r.bugs[0].schedule.racy_sites() == std::vector<std::string>{"helpers.hpp:15"});
  CHECK(!r.bugs[0].schedule.all_shared_points());
}

TEST_CASE("the_assertion_behind_a_race_is_reached_with_all_bugs") {
  weft::Options o;
  o.stop_on_first_bug = false;
  const weft::Report r = weft::explore([] { lost_update(2, 1); }, o);
  CHECK(r.found(BugKind::LostUpdate));
  CHECK_MESSAGE(r.found(BugKind::AssertionFailure), r.summary());
  // Its schedule replays it, with the same accesses as points.
  for (const weft::Bug& b : r.bugs) {
    if (b.kind != BugKind::AssertionFailure) continue;
    CHECK(weft::replay([] { lost_update(2, 1); }, b.schedule).found(BugKind::AssertionFailure));
  }
}

TEST_CASE("locked_programs_are_not_flagged_and_atomicity_violations_are_found") {
  for (const Strategy s : {Strategy::PCT, Strategy::Random, Strategy::DFS}) {
    CAPTURE(static_cast<int>(s));
    const weft::Report clean =
        weft::explore([] { locked_counter(3, 2); }, options(s, 300, SharedPoints::Racy));
    CHECK_MESSAGE(clean.ok(), clean.summary());
    const weft::Report bad =
        weft::explore(atomicity_violation, options(s, 300, SharedPoints::Racy));
    CHECK_MESSAGE(bad.found(BugKind::AssertionFailure), bad.summary());
    // No race: the lock orders every access, so no Shared<T> access needs to be a point.
    if (!bad.bugs.empty()) CHECK(bad.bugs[0].schedule.racy_sites().empty());
  }
}

TEST_CASE("fewer_points_make_shorter_schedules_and_no_larger_dfs_space") {
  const weft::Report racy = weft::explore([] { locked_counter(2, 2); },
                                          options(Strategy::DFS, 100000, SharedPoints::Racy));
  const weft::Report all = weft::explore([] { locked_counter(2, 2); },
                                         options(Strategy::DFS, 100000, SharedPoints::All));
  REQUIRE(racy.ok());
  REQUIRE(all.ok());
  CHECK(racy.exhausted);
  CHECK(all.exhausted);
  CHECK(racy.iterations == all.iterations);  // DPOR: accesses under the lock add no schedule
  CHECK(racy.last.size() < all.last.size());
  CHECK(all.last.all_shared_points());
}

TEST_CASE("without_checkers_every_access_is_a_point") {
  weft::Options o = with(Strategy::Random, 50);
  o.checkers = false;
  o.stop_on_first_bug = true;
  const weft::Report r = weft::explore([] { lost_update(2, 1); }, o);
  REQUIRE(r.found(BugKind::AssertionFailure));
  CHECK(r.bugs[0].schedule.all_shared_points());
}

TEST_CASE("proc_racy_sites_are_learnt_the_same_for_any_jobs") {
  for (const Strategy s : {Strategy::Random, Strategy::PCT, Strategy::POS}) {
    CAPTURE(static_cast<int>(s));
    weft::Options o = with(s, 200);
    o.stop_on_first_bug = false;
    const weft::Report here = weft::explore([] { lost_update(2, 2); }, o);
    o.jobs = 2;
    const weft::Report two = weft::explore([] { lost_update(2, 2); }, o);
    o.jobs = 1;
    o.isolate = true;
    const weft::Report one = weft::explore([] { lost_update(2, 2); }, o);
    CHECK(two.summary() == here.summary());
    CHECK(one.summary() == here.summary());
    REQUIRE(!here.bugs.empty());
    CHECK(!here.bugs[0].schedule.racy_sites().empty());
    CHECK(two.bugs[0].schedule.to_string() == here.bugs[0].schedule.to_string());
  }
}

TEST_CASE("a_saved_schedule_carries_its_racy_sites_and_replays_from_the_file") {
  weft::Options o;
  o.stop_on_first_bug = false;
  const weft::Report r = weft::explore([] { lost_update(2, 1); }, o);
  const weft::Bug* assertion = nullptr;
  for (const weft::Bug& b : r.bugs) {
    if (b.kind == BugKind::AssertionFailure) assertion = &b;
  }
  REQUIRE(assertion != nullptr);
  const auto path = std::filesystem::temp_directory_path() /
                    ("weft-racy-" + std::to_string(::getpid()) + ".schedule");
  assertion->schedule.save(path);
  const weft::Schedule loaded = weft::Schedule::load(path);
  std::filesystem::remove(path);
  CHECK(loaded.racy_sites() == assertion->schedule.racy_sites());
  CHECK(loaded.to_string().find("racy helpers.hpp:15\n") != std::string::npos);
  CHECK(weft::replay([] { lost_update(2, 1); }, loaded).found(BugKind::AssertionFailure));
  // Without its racy sites the same decisions are not this run's.
  weft::Schedule bare(loaded.decisions());
  CHECK(!weft::replay([] { lost_update(2, 1); }, bare).found(BugKind::AssertionFailure));
}

namespace {

// A race only in a rare interleaving: main must see the gate at 0, 1, 2, 3 in turn (T1 and main
// in lockstep) before it reads `rare_data` twice, which T1 writes after its last increment. The
// two reads differ only if T1's write can come between them: once `rare_data` is a point.
void rare_race() {
  weft::Atomic<int> gate(0, "gate");
  weft::Shared<int> data(0, "rare_data");
  weft::Thread t([&] {
    for (int k = 0; k < 4; ++k) gate.fetch_add(1);
    data.store(1);
  });
  bool lockstep = true;
  for (int k = 0; k < 4 && lockstep; ++k) lockstep = gate.load() == k;
  if (lockstep) {
    const int a = data.load();
    const int b = data.load();
    WEFT_ASSERT(a == b);
  }
  t.join();
}

}  // namespace

// Sites the probes miss are learnt in schedule order, in epochs of 512 schedules: from the
// start of the epoch after the next one after the race was seen, its variable's accesses are
// points, and the assertion that needs T1's write between main's two reads becomes reachable.
// The same for any --jobs.
TEST_CASE("proc_racy_sites_are_learnt_in_schedule_order_too") {
  weft::Options o = with(Strategy::Random, 2000);
  o.stop_on_first_bug = false;
  const weft::Report here = weft::explore(rare_race, o);
  REQUIRE(here.found(BugKind::DataRace));
  REQUIRE_MESSAGE(here.found(BugKind::AssertionFailure), here.summary());
  const weft::Bug& race = here.bugs[0];
  CHECK(race.kind == BugKind::DataRace);
  CHECK(race.iteration > 16);
  CHECK_MESSAGE(race.schedule.racy_sites().empty(), "the probes saw the rare race");
  for (const weft::Bug& b : here.bugs) {
    if (b.kind != BugKind::AssertionFailure) continue;
    // Not before the epoch after the next: the lag that lets workers run on (GUIDE §2).
    CHECK(b.iteration > ((race.iteration - 1) / 512 + 2) * 512);
    CHECK(b.schedule.racy_sites() == std::vector<std::string>{"test_shared_points.cpp:161"});
    CHECK(weft::replay(rare_race, b.schedule).found(BugKind::AssertionFailure));
  }
  o.jobs = 2;
  const weft::Report two = weft::explore(rare_race, o);
  CHECK(two.summary() == here.summary());
  o.jobs = 1;
  o.isolate = true;
  CHECK(weft::explore(rare_race, o).summary() == here.summary());
}

TEST_CASE("shared_points_must_be_a_shared_points_value") {
  weft::Options o;
  o.shared_points = static_cast<SharedPoints>(7);
  CHECK_THROWS_AS(weft::explore([] {}, o), weft::UsageError);
}

TEST_SUITE_END();
