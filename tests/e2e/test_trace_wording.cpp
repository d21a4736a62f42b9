// Traces and messages say what the program did in the API's own words.
#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("e2e/trace_wording");

using namespace weft_test;
using namespace std::chrono_literals;
using weft::BugKind;

namespace {

// The trace row of the first operation `op` (e.g. "put jobs"), or "" if there is none.
std::string row_of(const std::string& trace, const std::string& op) {
  const auto at = trace.find("  " + op + " ");
  if (at == std::string::npos) return {};
  const auto begin = trace.rfind('\n', at) + 1;
  return trace.substr(begin, trace.find('\n', at) - begin);
}

struct Point {  // no operator<<: its values cannot be shown
  int x = 0;
  int y = 0;
};

}  // namespace

TEST_CASE("queue_operations_are_traced_by_their_names") {
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Queue<int> jobs(0, "jobs");
    jobs.put(7);
    (void)jobs.get();
    jobs.task_done();
    jobs.join();
    (void)jobs.size();
    (void)jobs.get();  // nobody puts: a deadlock
  }));
  REQUIRE(b.kind == BugKind::Deadlock);
  CHECK_MESSAGE(contains(row_of(b.trace, "put jobs"), " 7 "), b.trace);
  CHECK(contains(row_of(b.trace, "get jobs"), " 7 "));
  CHECK(contains(row_of(b.trace, "task_done jobs"), "0 unfinished"));
  CHECK(!row_of(b.trace, "join jobs").empty());
  CHECK(contains(row_of(b.trace, "size jobs"), "size 0"));
  CHECK(contains(b.trace, "main -> jobs    blocked in get at"));
  CHECK_FALSE(contains(b.trace, "load jobs"));
  CHECK_FALSE(contains(b.trace, "store jobs"));
  CHECK_FALSE(contains(b.trace, "release jobs"));

  const weft::Bug s = only_bug(weft::explore([] {
    weft::Queue<int> jobs(0, "jobs");
    jobs.shutdown();
    jobs.put(1);  // throws QueueShutDown
  }));
  REQUIRE(s.kind == BugKind::UncaughtException);
  CHECK_MESSAGE(contains(row_of(s.trace, "shutdown jobs"), "drain"), s.trace);
  CHECK(contains(row_of(s.trace, "put jobs"), "shut down"));
}

TEST_CASE("event_operations_are_traced_by_their_names") {
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Event ev("ev");
    ev.set();
    ev.clear();
    (void)ev.is_set();
    ev.wait();  // cleared and never set again: a deadlock
  }));
  REQUIRE(b.kind == BugKind::Deadlock);
  CHECK_MESSAGE(!row_of(b.trace, "set ev").empty(), b.trace);
  CHECK(!row_of(b.trace, "clear ev").empty());
  CHECK(contains(row_of(b.trace, "is_set ev"), "false"));
  CHECK(!row_of(b.trace, "wait ev").empty());
  CHECK_FALSE(contains(b.trace, "release ev"));
  CHECK_FALSE(contains(b.trace, "store ev"));
  CHECK_FALSE(contains(b.trace, "load ev"));
}

TEST_CASE("a_future_completing_is_traced_as_done_with_how_it_ended") {
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Promise<int> value;
    weft::Promise<int> error;
    weft::Promise<int> cancelled;
    value.set_value(1);
    error.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    WEFT_ASSERT(cancelled.get_future().cancel());
    WEFT_ASSERT(false);
  }));
  REQUIRE(b.kind == BugKind::AssertionFailure);
  CHECK_MESSAGE(contains(b.trace, "  result  "), b.trace);
  CHECK(contains(b.trace, "  exception  "));
  CHECK(contains(b.trace, "  cancelled  "));
  for (const char* how : {"result", "exception", "cancelled"}) {
    INFO(how);
    const auto at = b.trace.find(std::string("  ") + how + "  ");
    REQUIRE(at != std::string::npos);
    const auto begin = b.trace.rfind('\n', at) + 1;
    CHECK(contains(b.trace.substr(begin, at - begin), "done Future@test_trace_wording.cpp:"));
  }
  CHECK_FALSE(contains(b.trace, "release Future"));
}

TEST_CASE("values_that_cannot_be_printed_leave_no_placeholder") {
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Shared<Point> p(Point{}, "p");
    weft::Thread t([&] { p.store(Point{1, 2}); });
    p.store(Point{3, 4});
    t.join();
  }));
  REQUIRE(b.kind == BugKind::DataRace);
  CHECK_FALSE(contains(b.message, "(value)"));
  CHECK_MESSAGE(contains(b.message, " writes at test_trace_wording.cpp:"), b.message);
  CHECK_FALSE(contains(b.trace, "(value)"));
  CHECK_MESSAGE(!row_of(b.trace, "store p").empty(), b.trace);
}

TEST_CASE("a_long_trace_says_what_it_left_out_under_its_header") {
  weft::Options o;
  o.max_steps = 1000;
  // Every operation reads or writes a new value, so no row repeats the one before it (repeats
  // are collapsed) and the trace is longer than the rows shown.
  const weft::Report r = weft::explore(
      [] {
        weft::Shared<int> counter(0, "counter");
        weft::Thread t([&] {
          for (;;) counter.store(counter.load() + 1);
        });
        t.join();
      },
      o);
  REQUIRE(r.bugs.size() == 1);
  const std::string& trace = r.bugs[0].trace;
  const auto header = trace.find("step  thread  operation");
  const auto omitted = trace.find("earlier operations not shown");
  REQUIRE(header != std::string::npos);
  REQUIRE(omitted != std::string::npos);
  CHECK_MESSAGE(header < omitted, trace);
  // Right under the header, above the first row shown.
  const auto next_line = trace.find('\n', header) + 1;
  CHECK(trace.compare(next_line, 6, "  ... ") == 0);
}

namespace {

// Two pool tasks increment one counter without a lock.
void pool_lost_update() {
  weft::Shared<int> counter(0, "counter");
  weft::ThreadPoolExecutor pool(2);
  auto a = pool.submit([&] { counter += 1; });
  auto b = pool.submit([&] { counter += 1; });
  a.get();
  b.get();
}

}  // namespace

// A pool program's trace is the user's operations: the steps inside the pool and its futures
// (their locks, the idle workers' condition variable) are folded and counted, a worker is named
// the same in its spawn row as in its own rows, and a task's end is traced at its submit line.
TEST_CASE("pool_traces_fold_weft_internal_steps") {
  const weft::Bug folded = only_bug(weft::explore(pool_lost_update, with(weft::Strategy::PCT)));
  CHECK(folded.kind == BugKind::LostUpdate);
  const std::string& t = folded.trace;
  // No row of the workers' own loop or of a future's internals (a row may still name
  // executor.hpp where the pool's destructor joins its workers: in clang builds that frame is
  // not inlined into the user's function).
  CHECK_MESSAGE(!contains(t, "(work)"), t);
  CHECK(!contains(t, "future.hpp"));
  CHECK(!contains(t, "lock ThreadPoolExecutor@"));
  CHECK(contains(t, "steps inside weft's pools and futures not shown"));
  CHECK(contains(t, "--internal-steps shows them"));
  const std::string spawn = row_of(t, "spawn");
  CHECK_MESSAGE(contains(spawn, "pool_0"), spawn);
  CHECK(!contains(t, "  T1  "));  // the worker is pool_0 everywhere
  const std::string done = row_of(t, "done");
  CHECK_MESSAGE(contains(done, "test_trace_wording.cpp:"), done);
  CHECK(contains(t, "load counter"));
  CHECK(contains(t, "store counter"));

  weft::Options all = with(weft::Strategy::PCT);
  all.internal_steps = true;
  const weft::Bug whole = only_bug(weft::explore(pool_lost_update, all));
  CHECK(contains(whole.trace, "lock ThreadPoolExecutor@test_trace_wording.cpp:"));
  CHECK(!contains(whole.trace, "not shown"));
  // Folding changes what is shown, not what ran.
  CHECK(whole.schedule.to_string() == folded.schedule.to_string());
}

TEST_SUITE_END();
