// Bugs found while schedules run in worker processes (Options::isolate, jobs > 1, the CLI) come
// back as whole as bugs found in process: a trace, and a schedule that replays them.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

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

// Exploration in `jobs` worker processes.
weft::Options in_workers(unsigned jobs, std::uint64_t iterations) {
  weft::Options o;
  o.isolate = true;
  o.jobs = jobs;
  o.iterations = iterations;
  return o;
}

}  // namespace

TEST_CASE("a_lock_order_inversion_found_in_a_worker_has_its_trace_and_schedule") {
  for (const unsigned jobs : {1u, 2u}) {
    CAPTURE(jobs);
    const weft::Options o = in_workers(jobs, 50);
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

namespace {

// T1 spins on a flag nobody sets, without a weft operation: only a watchdog can end it.
void spins_without_weft() {
  weft::Atomic<int> started(0, "started");
  weft::Thread t([&] {
    started.store(1);
    volatile bool forever = true;
    while (forever) {
    }
  });
  t.join();
}

// Sleeps for real between weft operations: slow, but never still for long.
void slow_but_moving() {
  weft::Atomic<int> n(0, "n");
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    n.store(i);
  }
}

// What `fn` writes to stderr (file descriptor 2).
template <class F>
std::string stderr_of(F&& fn) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("weft-stderr-" + std::to_string(::getpid()) + ".txt");
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(file, 2);
  ::close(file);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(path);
  return text.str();
}

}  // namespace

TEST_CASE("proc_a_body_that_stops_reaching_weft_operations_is_a_hang_with_its_steps") {
  for (const unsigned jobs : {1u, 2u}) {
    CAPTURE(jobs);
    weft::Options o = in_workers(jobs, 20);
    o.hang_timeout_s = 0.3;
    const weft::Report r = weft::explore(spins_without_weft, o);
    REQUIRE(r.bugs.size() == 1);
    const weft::Bug& hang = r.bugs[0];
    CHECK(hang.kind == weft::BugKind::Hang);
    CHECK(weft::to_string(hang.kind) == "Hang");
    CHECK_MESSAGE(contains(hang.message, "stopped reaching weft operations (none for 0.3 s"),
                  hang.message);
    CHECK_MESSAGE(contains(hang.trace, "store started"), hang.trace);
    CHECK(contains(hang.trace, "reached no weft operation for 0.3 s"));
    CHECK(hang.schedule.size() > 0);
    CHECK(contains(hang.schedule.to_string(), "Hang"));
  }
}

TEST_CASE("proc_a_slow_body_that_keeps_reaching_weft_operations_is_not_a_hang") {
  weft::Options o = in_workers(1, 1);
  // Less than the whole run (1.2 s), and five times any pause in it, so that a busy machine
  // pausing the worker is not taken for a hang.
  o.hang_timeout_s = 0.75;
  const weft::Report r = weft::explore(slow_but_moving, o);
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("in_process_a_stuck_schedule_is_named_on_stderr") {
  weft::Options o;
  o.iterations = 1;
  o.hang_timeout_s = 0.1;
  weft::Report r;
  const std::string err = stderr_of([&] {
    r = weft::explore(
        [] {
          weft::Atomic<int> x(0, "x");
          x.store(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(600));
          x.store(2);
        },
        o);
  });
  CHECK(r.ok());  // in this process weft cannot end it: it waits, and says why
  CHECK_MESSAGE(contains(err, "weft: the body has reached no weft operation for 0.1 s"), err);
  CHECK(contains(err, "Options::isolate"));
}

TEST_CASE("hang_timeout_must_not_be_negative") {
  weft::Options o;
  o.hang_timeout_s = -1;
  CHECK_THROWS_WITH_AS(weft::explore([] {}, o), doctest::Contains("hang_timeout_s"),
                       weft::UsageError);
}

TEST_SUITE_END();
