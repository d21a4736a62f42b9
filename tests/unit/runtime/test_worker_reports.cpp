// Bugs found while schedules run in worker processes (Options::isolate, jobs > 1, the CLI) come
// back as whole as bugs found in process: a trace, and a schedule that replays them.
#include <doctest/doctest.h>

#include <mutex>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/worker_reports");

using namespace weft_test;

namespace {

// The classic transfer that locks `from` then `to`: two opposite transfers invert the order.
void opposite_transfers() {
  weft::Mutex a("account_a");
  weft::Mutex b("account_b");
  auto transfer = [](weft::Mutex& from, weft::Mutex& to) {
    std::lock_guard first(from);
    std::lock_guard second(to);
  };
  weft::Thread t1([&] { transfer(a, b); });
  weft::Thread t2([&] { transfer(b, a); });
  t1.join();
  t2.join();
}

}  // namespace

TEST_CASE("a_lock_order_inversion_found_in_a_worker_has_its_trace_and_schedule") {
  for (const unsigned jobs : {1u, 2u}) {
    CAPTURE(jobs);
    weft::Options o;
    o.isolate = true;
    o.jobs = jobs;
    o.iterations = 50;
    const weft::Report r = weft::explore(opposite_transfers, o);
    const weft::Bug* inversion = nullptr;
    for (const weft::Bug& b : r.bugs) {
      if (b.kind == weft::BugKind::LockOrderInversion) inversion = &b;
    }
    REQUIRE_MESSAGE(inversion != nullptr, r.summary());
    CHECK_MESSAGE(contains(inversion->trace, "lock account_a"), inversion->trace);
    CHECK(contains(inversion->trace, "lock account_b"));
    REQUIRE(inversion->schedule.size() > 0);
    const weft::Report again = weft::replay(opposite_transfers, inversion->schedule);
    REQUIRE_FALSE(again.bugs.empty());
    CHECK_MESSAGE(again.bugs.front().kind == weft::BugKind::LockOrderInversion, again.summary());
    CHECK(again.bugs.front().message == inversion->message);
  }
}

TEST_SUITE_END();
