// The C++ memory model for Atomic<T> (MemoryModel::C11): litmus tests run exhaustively (DFS)
// and with the default options, coherence, release sequences, fences, the race checker's use of
// the real synchronisation, stale-read traces, and two lock-free structures.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../../../examples/lockfree.hpp"
#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/memory_model");

using namespace weft_test;
using weft::Atomic;
using weft::BugKind;
using weft::MemoryModel;
using weft::Strategy;
using weft::Thread;

namespace {

constexpr auto rlx = std::memory_order_relaxed;
constexpr auto acq = std::memory_order_acquire;
constexpr auto rel = std::memory_order_release;
constexpr auto sc = std::memory_order_seq_cst;

struct Outcomes {
  std::set<std::string> seen;
  weft::Report report;
  bool has(const std::string& o) const { return seen.count(o) != 0; }
};

// Every outcome `body` returns over the schedules of an exploration.
Outcomes outcomes(const std::function<std::string()>& body, weft::Options o) {
  Outcomes out;
  out.report = weft::explore([&] { out.seen.insert(body()); }, o);
  return out;
}

weft::Options dfs(MemoryModel m = MemoryModel::C11) {
  weft::Options o;
  o.strategy = Strategy::DFS;
  o.iterations = 2'000'000;
  o.memory_model = m;
  return o;
}

weft::Options defaults(MemoryModel m = MemoryModel::C11) {
  weft::Options o;
  o.memory_model = m;
  return o;
}

std::string pair(int a, int b) { return std::to_string(a) + " " + std::to_string(b); }

// MP: the writer publishes data with a flag; the weak outcome is flag seen, data not.
std::string message_passing(std::memory_order store, std::memory_order load, bool fences) {
  Atomic<int> data(0, "data"), flag(0, "flag");
  int r1 = -1, r2 = -1;
  Thread writer([&] {
    data.store(1, rlx);
    if (fences) weft::atomic_thread_fence(rel);
    flag.store(1, store);
  });
  Thread reader([&] {
    r1 = flag.load(load);
    if (fences) weft::atomic_thread_fence(acq);
    r2 = data.load(rlx);
  });
  writer.join();
  reader.join();
  return pair(r1, r2);
}

// SB: each thread stores, then loads the other's variable; weak: both read 0.
std::string store_buffering(std::memory_order store, std::memory_order load, bool sc_fences) {
  Atomic<int> x(0, "x"), y(0, "y");
  int r1 = -1, r2 = -1;
  Thread t1([&] {
    x.store(1, store);
    if (sc_fences) weft::atomic_thread_fence(sc);
    r1 = y.load(load);
  });
  Thread t2([&] {
    y.store(1, store);
    if (sc_fences) weft::atomic_thread_fence(sc);
    r2 = x.load(load);
  });
  t1.join();
  t2.join();
  return pair(r1, r2);
}

// IRIW: two writers, two readers reading in opposite orders; weak: they disagree on the order.
std::string iriw(std::memory_order store, std::memory_order load) {
  Atomic<int> x(0, "x"), y(0, "y");
  int a = -1, b = -1, c = -1, d = -1;
  Thread w1([&] { x.store(1, store); });
  Thread w2([&] { y.store(1, store); });
  Thread r1([&] {
    a = x.load(load);
    b = y.load(load);
  });
  Thread r2([&] {
    c = y.load(load);
    d = x.load(load);
  });
  w1.join();
  w2.join();
  r1.join();
  r2.join();
  return pair(a, b) + " " + pair(c, d);
}

}  // namespace

TEST_CASE("mp_relaxed_shows_stale_data_and_release_acquire_never_does") {
  const Outcomes relaxed = outcomes([] { return message_passing(rlx, rlx, false); }, dfs());
  CHECK(relaxed.report.exhausted);
  CHECK(relaxed.report.ok());
  CHECK(relaxed.has("1 0"));  // the weak outcome
  CHECK(relaxed.has("1 1"));
  CHECK(relaxed.has("0 0"));

  const Outcomes ra = outcomes([] { return message_passing(rel, acq, false); }, dfs());
  CHECK(ra.report.exhausted);
  CHECK_FALSE(ra.has("1 0"));
  CHECK(ra.has("1 1"));

  const Outcomes fenced = outcomes([] { return message_passing(rlx, rlx, true); }, dfs());
  CHECK(fenced.report.exhausted);
  CHECK_FALSE(fenced.has("1 0"));
  CHECK(fenced.has("1 1"));

  // A fence on one side only does not synchronise.
  const Outcomes half = outcomes([] { return message_passing(rel, rlx, false); }, dfs());
  CHECK(half.has("1 0"));
}

TEST_CASE("mp_with_default_options") {
  CHECK(outcomes([] { return message_passing(rlx, rlx, false); }, defaults()).has("1 0"));
  CHECK_FALSE(outcomes([] { return message_passing(rel, acq, false); }, defaults()).has("1 0"));
  CHECK_FALSE(outcomes([] { return message_passing(rlx, rlx, true); }, defaults()).has("1 0"));
}

TEST_CASE("sb_both_read_zero_unless_seq_cst") {
  const Outcomes relaxed = outcomes([] { return store_buffering(rlx, rlx, false); }, dfs());
  CHECK(relaxed.report.exhausted);
  CHECK(relaxed.has("0 0"));
  const Outcomes ra = outcomes([] { return store_buffering(rel, acq, false); }, dfs());
  CHECK(ra.report.exhausted);
  CHECK(ra.has("0 0"));
  const Outcomes seq = outcomes([] { return store_buffering(sc, sc, false); }, dfs());
  CHECK(seq.report.exhausted);
  CHECK_FALSE(seq.has("0 0"));
  CHECK(seq.has("1 1"));
  CHECK(seq.has("0 1"));
  CHECK(seq.has("1 0"));
  // seq_cst fences between relaxed accesses forbid it too.
  const Outcomes fenced = outcomes([] { return store_buffering(rlx, rlx, true); }, dfs());
  CHECK(fenced.report.exhausted);
  CHECK_FALSE(fenced.has("0 0"));

  CHECK(outcomes([] { return store_buffering(rlx, rlx, false); }, defaults()).has("0 0"));
  CHECK_FALSE(outcomes([] { return store_buffering(sc, sc, false); }, defaults()).has("0 0"));
}

TEST_CASE("iriw_readers_disagree_unless_seq_cst") {
  // Five threads: the unbounded space is too large to run here; two preemptions cover it well
  // (the weak outcome needs none: each thread can run to its end, the readers reading stale).
  auto bounded = [](MemoryModel m = MemoryModel::C11) {
    weft::Options o = dfs(m);
    o.preemption_bound = 2;
    return o;
  };
  const Outcomes acquire = outcomes([] { return iriw(rel, acq); }, bounded());
  CHECK(acquire.report.exhausted);
  CHECK(acquire.has("1 0 1 0"));
  const Outcomes seq = outcomes([] { return iriw(sc, sc); }, bounded());
  CHECK(seq.report.exhausted);
  CHECK_FALSE(seq.has("1 0 1 0"));
  CHECK(seq.has("1 1 1 1"));
}

TEST_CASE("two_plus_two_w_final_values_follow_one_modification_order") {
  // 2+2W: x = 1; y = 2 || y = 1; x = 2. Both final values 1 would need each location's
  // modification order to contradict the other's. Forbidden for seq_cst; C++ allows it for
  // weaker orders, but weft's modification order is the execution order, so it never shows
  // (a documented limitation: fewer behaviours, never more).
  for (const std::memory_order mo : {sc, rel, rlx}) {
    const Outcomes o = outcomes(
        [mo] {
          Atomic<int> x(0, "x"), y(0, "y");
          Thread t1([&] {
            x.store(1, mo);
            y.store(2, mo);
          });
          Thread t2([&] {
            y.store(1, mo);
            x.store(2, mo);
          });
          t1.join();
          t2.join();
          return pair(x.load(rlx), y.load(rlx));
        },
        dfs());
    CHECK(o.report.exhausted);
    CHECK_FALSE(o.has("1 1"));
    CHECK(o.has("2 2"));
  }
}

TEST_CASE("coherence_is_never_violated") {
  // CoRR: two loads in one thread never go backwards in modification order.
  const Outcomes corr = outcomes(
      [] {
        Atomic<int> x(0, "x");
        int a = -1, b = -1;
        Thread w([&] {
          x.store(1, rlx);
          x.store(2, rlx);
        });
        Thread r([&] {
          a = x.load(rlx);
          b = x.load(rlx);
        });
        w.join();
        r.join();
        return pair(a, b);
      },
      dfs());
  CHECK(corr.report.exhausted);
  for (const std::string& s : corr.seen) {
    CAPTURE(s);
    CHECK(s[0] <= s[2]);
  }
  CHECK(corr.has("0 2"));  // stale first, then the newest: allowed
  CHECK(corr.has("0 0"));

  // CoWR: a load never reads a store older than its own thread's last store.
  // CoRW: a store is after (in modification order) the store its thread read before it.
  const Outcomes cowr = outcomes(
      [] {
        Atomic<int> x(0, "x");
        int a = -1, b = -1;
        Thread t1([&] {
          x.store(1, rlx);
          a = x.load(rlx);
        });
        Thread t2([&] {
          b = x.load(rlx);
          x.store(2, rlx);
        });
        t1.join();
        t2.join();
        return pair(a, b) + " " + std::to_string(x.load(rlx));
      },
      dfs());
  CHECK(cowr.report.exhausted);
  for (const std::string& s : cowr.seen) {
    CAPTURE(s);
    CHECK(s[0] != '0');                    // CoWR: never the initial value after storing 1
    CHECK(!(s[0] == '2' && s[4] == '1'));  // CoWR: not 2 when 2 precedes 1 in mo
    CHECK(!(s[2] == '1' && s[4] == '1'));  // CoRW: read 1, then stored 2 after it
  }
  CHECK(cowr.has("1 0 2"));
  CHECK(cowr.has("2 1 2"));

  // CoWW: a thread's two stores stay in order.
  const Outcomes coww = outcomes(
      [] {
        Atomic<int> x(0, "x");
        Thread t([&] {
          x.store(1, rlx);
          x.store(2, rlx);
        });
        t.join();
        return std::to_string(x.load(rlx));
      },
      dfs());
  CHECK(coww.seen == std::set<std::string>{"2"});
}

TEST_CASE("an_rmw_continues_the_release_sequence") {
  auto program = [](bool rmw) {
    return [rmw] {
      Atomic<int> data(0, "data"), flag(0, "flag");
      int f = -1, d = -1;
      Thread writer([&] {
        data.store(1, rlx);
        flag.store(1, rel);
      });
      Thread middle([&] {
        if (rmw) {
          flag.fetch_add(1, rlx);
        } else {
          flag.store(2, rlx);
        }
      });
      Thread reader([&] {
        f = flag.load(acq);
        d = data.load(rlx);
      });
      writer.join();
      middle.join();
      reader.join();
      return pair(f, d);
    };
  };
  // Reading the RMW's 2 synchronises with the release store it continues.
  const Outcomes through = outcomes(program(true), dfs());
  CHECK(through.report.exhausted);
  CHECK(through.has("2 1"));
  CHECK_FALSE(through.has("2 0"));
  // A plain relaxed store breaks the sequence: reading it orders nothing.
  const Outcomes broken = outcomes(program(false), dfs());
  CHECK(broken.has("2 0"));
}

TEST_CASE("a_relaxed_fetch_add_counter_stays_exact") {
  const weft::Report r = weft::explore(
      [] {
        Atomic<int> counter(0, "counter");
        std::vector<Thread> ts;
        for (int t = 0; t < 3; ++t) {
          ts.emplace_back([&] {
            for (int i = 0; i < 2; ++i) counter.fetch_add(1, rlx);
          });
        }
        for (Thread& t : ts) t.join();
        WEFT_ASSERT(counter.load(rlx) == 6);
      },
      dfs());
  CHECK(r.exhausted);
  CHECK(r.ok());
}

TEST_CASE("memory_model_sc_never_shows_weak_outcomes") {
  const Outcomes mp =
      outcomes([] { return message_passing(rlx, rlx, false); }, dfs(MemoryModel::SC));
  CHECK(mp.report.exhausted);
  CHECK_FALSE(mp.has("1 0"));
  const Outcomes sb =
      outcomes([] { return store_buffering(rlx, rlx, false); }, dfs(MemoryModel::SC));
  CHECK(sb.report.exhausted);
  CHECK_FALSE(sb.has("0 0"));
  weft::Options iw_options = dfs(MemoryModel::SC);
  iw_options.preemption_bound = 2;
  const Outcomes iw = outcomes([] { return iriw(rlx, rlx); }, iw_options);
  CHECK(iw.report.exhausted);
  CHECK_FALSE(iw.has("1 0 1 0"));
  // Fences are only traced under SC: no extra schedules.
  const Outcomes fenced =
      outcomes([] { return message_passing(rlx, rlx, true); }, dfs(MemoryModel::SC));
  CHECK(fenced.report.iterations == mp.report.iterations);
}

namespace {
// Shared data published through an atomic flag, read by the consumer if it sees the flag.
void publish(std::memory_order store, std::memory_order load) {
  weft::Shared<int> data(0, "data");
  Atomic<bool> ready(false, "ready");
  Thread producer([&] {
    data = 42;
    ready.store(true, store);
  });
  Thread consumer([&] {
    if (ready.load(load)) WEFT_ASSERT(data.load() == 42);
  });
  producer.join();
  consumer.join();
}
}  // namespace

TEST_CASE("a_relaxed_flag_does_not_order_shared_data") {
  for (const weft::Options& o : {dfs(), defaults()}) {
    const weft::Report racy = weft::explore([] { publish(rlx, rlx); }, o);
    REQUIRE_FALSE(racy.ok());
    CHECK(racy.found(BugKind::DataRace));
    CHECK(contains(racy.bugs[0].message, "data race on data"));

    const weft::Report fine = weft::explore([] { publish(rel, acq); }, o);
    CHECK(fine.ok());
    const weft::Report seq = weft::explore([] { publish(sc, sc); }, o);
    CHECK(seq.ok());
  }
  // Under SC every atomic access synchronises, as before.
  CHECK(weft::explore([] { publish(rlx, rlx); }, dfs(MemoryModel::SC)).ok());
}

namespace {
void stale_flag_reader() {
  Atomic<int> data(0, "data"), flag(0, "flag");
  Thread writer([&] {
    data.store(1, rlx);
    flag.store(1, rlx);
  });
  Thread reader([&] {
    if (flag.load(rlx) == 1) WEFT_ASSERT(data.load(rlx) == 1);
  });
  writer.join();
  reader.join();
}
}  // namespace

TEST_CASE("the_trace_says_which_store_a_load_read_and_marks_stale_reads") {
  const weft::Report r = weft::explore(stale_flag_reader, dfs());
  REQUIRE(r.found(BugKind::AssertionFailure));
  const std::string& trace = r.bugs[0].trace;
  CAPTURE(trace);
  CHECK(contains(trace, "load flag"));
  CHECK(contains(trace, "1 (from T1's store at test_memory_model.cpp:"));
  CHECK(contains(trace, "0 (from the initial value; stale: T1's store at test_memory_model.cpp:"));
  // Deterministic, and the schedule replays the stale read.
  CHECK(weft::explore(stale_flag_reader, dfs()).summary() == r.summary());
  const weft::Report again = weft::replay(stale_flag_reader, r.bugs[0].schedule);
  REQUIRE(again.found(BugKind::AssertionFailure));
  CHECK(again.bugs[0].trace == trace);
  // Every strategy finds it.
  for (const Strategy s : {Strategy::Random, Strategy::PCT, Strategy::POS, Strategy::Fuzz}) {
    CAPTURE(static_cast<int>(s));
    weft::Options o = with(s, 2000);
    CHECK(weft::explore(stale_flag_reader, o).found(BugKind::AssertionFailure));
  }
}

TEST_CASE("schedules_record_the_memory_model") {
  weft::Options o = dfs(MemoryModel::SC);
  const weft::Report r = weft::explore(stale_flag_reader, o);
  CHECK(r.ok());  // under SC the flag orders the data
  weft::Schedule s = r.last;
  s.set_memory_model(MemoryModel::SC);
  const weft::Schedule back = weft::Schedule::parse(s.to_string());
  CHECK(back.memory_model() == MemoryModel::SC);
  CHECK(contains(s.to_string(), "memory-model sc"));
  CHECK(weft::Schedule::parse("weft-schedule 2\nt0\n").memory_model() == MemoryModel::C11);
  CHECK(weft::Schedule::parse("weft-schedule 2\nmemory-model c11\nt0\n").memory_model() ==
        MemoryModel::C11);
  CHECK_THROWS_AS(weft::Schedule::parse("weft-schedule 2\nmemory-model tso\nt0\n"),
                  weft::ScheduleError);
  CHECK(weft::to_string(MemoryModel::C11) == "c11");
  CHECK(weft::to_string(MemoryModel::SC) == "sc");
  weft::Options bad;
  bad.memory_model = static_cast<MemoryModel>(7);
  CHECK_THROWS_AS(weft::explore([] {}, bad), weft::UsageError);
}

TEST_CASE("a_spin_loop_on_a_relaxed_flag_ends") {
  // Stores become visible to a thread once it yields: waiting loops terminate under DFS.
  const weft::Report r = weft::explore(
      [] {
        Atomic<int> flag(0, "flag");
        Thread t([&] { flag.store(1, rlx); });
        while (flag.load(rlx) == 0) weft::this_thread::yield();
        t.join();
      },
      dfs());
  CHECK(r.exhausted);
  CHECK(r.ok());
}

TEST_CASE("atomic_thread_fence_runs_in_production") {
  std::atomic<int> x{0};
  weft::atomic_thread_fence(std::memory_order_seq_cst);
  x.store(1, rlx);
  weft::atomic_thread_fence(std::memory_order_acq_rel);
  CHECK(x.load(rlx) == 1);
}

TEST_CASE("an_spsc_ring_with_a_relaxed_publish_is_caught_and_the_correct_one_passes") {
  // Bounded DFS: the unbounded search of the correct ring runs its whole budget (a long run,
  // too slow for the valgrind pass) and proves no more than the bounded one does.
  weft::Options bounded = dfs();
  bounded.preemption_bound = 2;
  for (const weft::Options& o : {bounded, defaults()}) {
    const weft::Report bad =
        weft::explore([] { lockfree::ring_transfer(std::memory_order_relaxed); }, o);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.found(BugKind::DataRace));
    CHECK_MESSAGE(contains(bad.bugs[0].message, "data race on ring slot"), bad.bugs[0].message);
    const weft::Report good =
        weft::explore([] { lockfree::ring_transfer(std::memory_order_release); }, o);
    CHECK_MESSAGE(good.ok(), good.summary());
    if (o.strategy == Strategy::DFS) CHECK(good.exhausted);
  }
}

TEST_CASE("a_treiber_stack_with_a_relaxed_push_is_caught_and_the_correct_one_passes") {
  weft::Options bounded = dfs();
  bounded.preemption_bound = 2;
  for (const weft::Options& o : {bounded, defaults()}) {
    const weft::Report bad =
        weft::explore([] { lockfree::stack_transfer(std::memory_order_relaxed); }, o);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.found(BugKind::DataRace));
    CHECK(contains(bad.bugs[0].message, "data race on node"));
    const weft::Report good =
        weft::explore([] { lockfree::stack_transfer(std::memory_order_release); }, o);
    CHECK_MESSAGE(good.ok(), good.summary());
    if (o.strategy == Strategy::DFS) CHECK(good.exhausted);
  }
}

TEST_SUITE_END();
