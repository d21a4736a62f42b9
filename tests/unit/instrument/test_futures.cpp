// Future, Promise, ThreadPoolExecutor, as_completed and wait (Python concurrent.futures) in both
// modes: results and exceptions, cancellation, map order, completion order, wait conditions,
// done-callbacks, shutdown, and pool programs whose bugs exploration must find.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("instrument/futures");

using namespace weft_test;
using namespace std::chrono_literals;
using weft::BugKind;
using weft::Strategy;

static_assert(std::input_iterator<weft::AsCompleted<int>::iterator>);
static_assert(std::is_copy_constructible_v<weft::Future<int>>);

namespace {

struct ConnectionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The seed's "futures capture exceptions cleanly" program: risky_fetch raises for 'badurl'.
std::string risky_fetch(const std::string& url) {
  if (url.find("badurl") != std::string::npos) throw ConnectionError("Cannot connect to " + url);
  return "Success: " + url;
}

std::vector<std::string> exceptions_through_futures() {
  const std::vector<std::string> urls = {"https://python.org", "https://badurl.invalid",
                                         "https://pypi.org"};
  std::vector<std::string> lines;
  weft::ThreadPoolExecutor executor(3);
  std::vector<weft::Future<std::string>> futures;
  for (const std::string& url : urls) futures.push_back(executor.submit(risky_fetch, url));
  for (auto& future : futures) {
    std::string line;
    try {
      line = "OK: " + future.get();
    } catch (const ConnectionError& e) {
      line = std::string("FAILED: ") + e.what();
    }
    lines.push_back(line);
  }
  return lines;
}

const std::vector<std::string> kRiskyFetchLines = {
    "OK: Success: https://python.org", "FAILED: Cannot connect to https://badurl.invalid",
    "OK: Success: https://pypi.org"};

weft::Options options(Strategy s, std::uint64_t iterations) {
  weft::Options o;
  o.strategy = s;
  o.iterations = iterations;
  return o;
}

void require_clean(const weft::Report& r) { REQUIRE_MESSAGE(r.ok(), r.summary()); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Production mode

TEST_CASE("production_submit_returns_results_and_decay_copies_arguments") {
  weft::ThreadPoolExecutor pool(2);
  CHECK(pool.max_workers() == 2);
  weft::Future<int> a = pool.submit([] { return 6 * 7; });
  std::string s = "abc";
  weft::Future<std::size_t> b = pool.submit([](const std::string& x) { return x.size(); }, s);
  s = "changed after submit";
  auto owned = std::make_unique<int>(5);
  weft::Future<int> c =
      pool.submit([](std::unique_ptr<int> p) { return *p + 1; }, std::move(owned));
  int counter = 0;
  weft::Future<void> d = pool.submit([&counter] { ++counter; });
  static int global = 9;
  weft::Future<int> e = pool.submit([]() -> const int& { return global; });  // stored as a value
  CHECK(a.get() == 42);
  CHECK(a.get() == 42);  // a copyable result can be read again
  CHECK(b.get() == 3);
  CHECK(c.get() == 6);
  d.get();
  CHECK(counter == 1);
  CHECK(e.get() == 9);
  CHECK(a.done());
  CHECK_FALSE(a.cancelled());
  CHECK(a.exception() == nullptr);

  weft::Future<int> copy = a;  // a handle to the same state
  CHECK(copy == a);
  CHECK_FALSE(copy == e);
  CHECK(copy.get() == 42);
  std::unordered_set<weft::Future<int>> set{a, copy, c};
  CHECK(set.size() == 2);

  weft::Future<int> none;
  CHECK_FALSE(none.valid());
  CHECK(a.valid());
  CHECK_THROWS_AS(none.get(), weft::UsageError);
  CHECK_THROWS_AS(none.done(), weft::UsageError);

  // A move-only result is moved out by get(); a second get() is a usage error.
  weft::Future<std::unique_ptr<int>> m = pool.submit([] { return std::make_unique<int>(3); });
  CHECK(*m.get() == 3);
  CHECK_THROWS_AS(m.get(), weft::UsageError);
}

TEST_CASE("production_default_max_workers_is_the_hardware_concurrency") {
  weft::ThreadPoolExecutor pool;
  const unsigned hc = std::thread::hardware_concurrency();
  CHECK(pool.max_workers() == (hc == 0 ? 1u : hc));
  CHECK(pool.submit([] { return 1; }).get() == 1);
}

TEST_CASE("production_exceptions_propagate_through_get_and_exception") {
  weft::ThreadPoolExecutor pool(2);
  weft::Future<int> bad = pool.submit([]() -> int { throw ConnectionError("boom"); });
  weft::Future<void> bad_void = pool.submit([] { throw std::logic_error("void boom"); });
  weft::Future<int> good = pool.submit([] { return 1; });
  CHECK_THROWS_WITH_AS(bad.get(), "boom", ConnectionError);
  CHECK_THROWS_WITH_AS(bad.get(), "boom", ConnectionError);  // every get() rethrows it
  CHECK_THROWS_WITH_AS(bad_void.get(), "void boom", std::logic_error);
  std::exception_ptr e = bad.exception();
  REQUIRE(e != nullptr);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(e), "boom", ConnectionError);
  CHECK(bad.done());
  CHECK_FALSE(bad.cancelled());
  CHECK(good.exception() == nullptr);
  CHECK(good.get() == 1);
}

TEST_CASE("production_seed_exceptions_through_futures") {
  CHECK(exceptions_through_futures() == kRiskyFetchLines);
}

TEST_CASE("production_cancel_succeeds_before_start_and_fails_after") {
  weft::ThreadPoolExecutor pool(1);
  weft::Event started, gate;
  std::atomic<bool> second_ran{false};
  weft::Future<int> first = pool.submit([&] {
    started.set();
    gate.wait();
    return 1;
  });
  weft::Future<int> second = pool.submit([&] {
    second_ran = true;
    return 2;
  });
  started.wait();
  CHECK(first.running());
  CHECK_FALSE(second.running());
  CHECK_FALSE(first.cancel());  // running
  CHECK_FALSE(first.cancelled());
  CHECK_FALSE(first.done());
  CHECK(second.cancel());  // queued behind it on the only worker
  CHECK(second.cancel());  // still cancelled: true again, as in Python
  CHECK(second.cancelled());
  CHECK(second.done());
  CHECK(second.wait_for(0ms));
  CHECK_THROWS_AS(second.get(), weft::CancelledError);
  CHECK_THROWS_AS(second.exception(), weft::CancelledError);
  gate.set();
  CHECK(first.get() == 1);
  CHECK_FALSE(first.running());
  CHECK_FALSE(first.cancel());  // finished
  pool.shutdown();
  CHECK_FALSE(second_ran.load());
}

TEST_CASE("production_wait_for_times_out_on_a_pending_future") {
  weft::ThreadPoolExecutor pool(1);
  weft::Event gate;
  weft::Future<void> f = pool.submit([&] { gate.wait(); });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(f.wait_for(30ms));
  CHECK(std::chrono::steady_clock::now() - t0 >= 30ms);
  CHECK_FALSE(f.done());
  gate.set();
  CHECK(f.wait_for(10s));
  f.wait();
  CHECK(f.done());
}

TEST_CASE("production_map_returns_results_in_input_order") {
  // Input x waits until input x + 1 has finished: they complete in reverse order. (Workers
  // start on demand: no worker is idle before input 6 finishes, so each input gets its own.)
  weft::ThreadPoolExecutor pool(6);
  const std::vector<int> in = {1, 2, 3, 4, 5, 6};
  std::vector<weft::Event> finished(8);
  std::vector<int> order;
  std::mutex order_m;
  const std::vector<int> out = pool.map(
      [&](int x) {
        if (x < 6) finished[static_cast<std::size_t>(x) + 1].wait();
        {
          std::lock_guard g(order_m);
          order.push_back(x);
        }
        finished[static_cast<std::size_t>(x)].set();
        return x * x;
      },
      in);
  CHECK(out == std::vector<int>{1, 4, 9, 16, 25, 36});
  CHECK(order == std::vector<int>{6, 5, 4, 3, 2, 1});

  CHECK(pool.map([](int x) { return x + 1; }, std::list<int>{0, 1, 2, 3, 4}) ==
        std::vector<int>{1, 2, 3, 4, 5});
  CHECK(pool.map([](const std::string& s) { return s.size(); }, std::vector<std::string>{}) ==
        std::vector<std::size_t>{});
  std::atomic<int> sum{0};
  pool.map([&](int x) { sum += x; }, in);  // void: returns after every call
  CHECK(sum.load() == 21);
}

TEST_CASE("production_map_rethrows_the_first_exception_in_input_order") {
  weft::ThreadPoolExecutor pool(3);
  auto call = [&] {
    return pool.map(
        [](int x) {
          if (x == 1) {  // fails last
            std::this_thread::sleep_for(40ms);
            throw std::runtime_error("input 1");
          }
          if (x == 3) throw std::runtime_error("input 3");  // fails first
          return x;
        },
        std::vector<int>{0, 1, 2, 3, 4});
  };
  CHECK_THROWS_WITH_AS(call(), "input 1", std::runtime_error);
}

TEST_CASE("production_as_completed_yields_futures_in_completion_order") {
  weft::ThreadPoolExecutor pool(3);
  std::vector<weft::Future<int>> futures;
  for (int ms : {150, 30, 90}) {
    futures.push_back(pool.submit([ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return ms;
    }));
  }
  std::vector<int> seen;
  std::set<const weft::Future<int>*> refs;
  for (weft::Future<int>& f : weft::as_completed(futures)) {
    CHECK(f.done());
    refs.insert(&f);
    seen.push_back(f.get());
  }
  CHECK(seen == std::vector<int>{30, 90, 150});
  CHECK(refs == std::set<const weft::Future<int>*>{&futures[0], &futures[1], &futures[2]});

  std::vector<weft::Future<int>> empty;
  int n = 0;
  for (auto& f : weft::as_completed(empty)) n += f.get();
  CHECK(n == 0);
}

TEST_CASE("production_as_completed_orders_futures_already_done_by_completion") {
  std::vector<weft::Promise<int>> promises(4);
  std::vector<weft::Future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  CHECK(promises[2].set_value(2));
  CHECK(futures[0].cancel());
  CHECK(promises[1].set_value(1));
  auto range = weft::as_completed(futures);
  auto it = range.begin();
  CHECK(&*it == &futures[2]);
  ++it;
  CHECK(&*it == &futures[0]);
  CHECK(it->cancelled());
  ++it;
  CHECK(&*it == &futures[1]);
  weft::Thread late([&] {
    std::this_thread::sleep_for(20ms);
    promises[3].set_exception(std::make_exception_ptr(std::runtime_error("late")));
  });
  ++it;  // blocks until the last one completes
  CHECK(&*it == &futures[3]);
  CHECK(it->exception() != nullptr);
  ++it;
  CHECK(it == range.end());
  late.join();
}

TEST_CASE("production_wait_returns_on_first_completed_first_exception_and_all_completed") {
  weft::ThreadPoolExecutor pool(3);
  weft::Event gate;
  std::vector<weft::Future<int>> futures;
  futures.push_back(pool.submit([&] {
    gate.wait();
    return 0;
  }));
  futures.push_back(pool.submit([] { return 1; }));
  futures.push_back(pool.submit([one = futures[1]]() -> int {
    one.wait();  // fails after futures[1] is done
    std::this_thread::sleep_for(5ms);
    throw std::runtime_error("two");
  }));

  weft::WaitResult first = weft::wait(futures, weft::ReturnWhen::FirstCompleted);
  CHECK(!first.done.empty());
  CHECK(std::find(first.not_done.begin(), first.not_done.end(), 0u) != first.not_done.end());
  CHECK(first.done.size() + first.not_done.size() == 3);
  for (std::size_t i : first.done) CHECK(futures[i].done());

  weft::WaitResult exc = weft::wait(futures, weft::ReturnWhen::FirstException);
  CHECK(exc.done == std::vector<std::size_t>{1, 2});
  CHECK(exc.not_done == std::vector<std::size_t>{0});

  gate.set();
  weft::WaitResult all = weft::wait(futures);  // AllCompleted
  CHECK(all.done == std::vector<std::size_t>{0, 1, 2});
  CHECK(all.not_done.empty());

  // FirstException with no exception at all waits for everything.
  std::vector<weft::Future<int>> ok{pool.submit([] { return 1; }), pool.submit([] { return 2; })};
  CHECK(weft::wait(ok, weft::ReturnWhen::FirstException).done == std::vector<std::size_t>{0, 1});
  std::vector<weft::Future<int>> none;
  CHECK(weft::wait(none, weft::ReturnWhen::FirstCompleted).done.empty());
}

TEST_CASE("production_done_callbacks_run_once_before_and_after_completion") {
  weft::ThreadPoolExecutor pool(1);
  weft::Event gate;
  weft::Future<int> f = pool.submit([&] {
    gate.wait();
    return 7;
  });
  std::atomic<int> calls{0};
  std::atomic<int> seen{0};
  std::thread::id caller_thread;
  f.add_done_callback([&](weft::Future<int>& g) {
    caller_thread = std::this_thread::get_id();
    seen = g.get();
    ++calls;
  });
  CHECK(calls.load() == 0);
  gate.set();
  pool.shutdown();  // joins the worker, which ran the callback
  CHECK(calls.load() == 1);
  CHECK(seen.load() == 7);
  CHECK(caller_thread != std::this_thread::get_id());  // in the completing thread

  // Already done: runs at once, in this thread.
  std::thread::id now_thread;
  f.add_done_callback([&](weft::Future<int>& g) {
    now_thread = std::this_thread::get_id();
    CHECK(g == f);
    ++calls;
  });
  CHECK(calls.load() == 2);
  CHECK(now_thread == std::this_thread::get_id());

  // A cancelled future runs its callbacks in the cancelling thread; a throwing callback is
  // ignored (reported on stderr) and the next one still runs.
  weft::Promise<void> p;
  weft::Future<void> pf = p.get_future();
  int order = 0;
  pf.add_done_callback([&](weft::Future<void>&) { throw std::runtime_error("callback fails"); });
  pf.add_done_callback([&](weft::Future<void>& g) {
    CHECK(g.cancelled());
    order = 1;
  });
  CHECK(pf.cancel());
  CHECK(order == 1);
  CHECK_FALSE(p.set_value());  // cancelled: the result is dropped
}

TEST_CASE("production_promise_sets_values_and_exceptions_once") {
  weft::Promise<std::string> p;
  weft::Future<std::string> f = p.get_future();
  CHECK_FALSE(f.done());
  CHECK(p.set_running());
  CHECK_FALSE(f.cancel());  // running
  weft::Thread producer([&] { p.set_value(3, 'x'); });
  CHECK(f.get() == "xxx");
  producer.join();
  CHECK_THROWS_AS(p.set_value("again"), weft::UsageError);

  weft::Promise<int> q;
  CHECK(q.set_exception(std::make_exception_ptr(ConnectionError("down"))));
  CHECK_THROWS_WITH_AS(q.get_future().get(), "down", ConnectionError);
  CHECK_THROWS_AS(q.set_exception(nullptr), weft::UsageError);

  weft::Promise<int> r;
  CHECK(r.get_future().cancel());
  CHECK_FALSE(r.set_running());
  CHECK_FALSE(r.set_value(1));
}

TEST_CASE("production_shutdown_cancel_futures_cancels_queued_tasks") {
  weft::ThreadPoolExecutor pool(1);
  weft::Event started, gate;
  std::atomic<int> ran{0};
  weft::Future<int> running = pool.submit([&] {
    started.set();
    gate.wait();
    ++ran;
    return 1;
  });
  std::vector<weft::Future<int>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(pool.submit([&] {
      ++ran;
      return 2;
    }));
  }
  std::atomic<int> cancel_callbacks{0};
  queued[0].add_done_callback([&](weft::Future<int>& g) {
    if (g.cancelled()) ++cancel_callbacks;
  });
  started.wait();
  pool.shutdown(/*wait=*/false, /*cancel_futures=*/true);
  CHECK_THROWS_AS(pool.submit([] { return 0; }), std::runtime_error);
  for (auto& q : queued) {
    CHECK(q.cancelled());
    CHECK_THROWS_AS(q.get(), weft::CancelledError);
  }
  CHECK(cancel_callbacks.load() == 1);
  CHECK_FALSE(running.done());  // shutdown(wait=false) returned while it runs
  gate.set();
  CHECK(running.get() == 1);
  pool.shutdown();  // joins; idempotent
  pool.shutdown();
  CHECK(ran.load() == 1);
}

TEST_CASE("production_shutdown_waits_for_every_queued_task") {
  std::atomic<int> ran{0};
  {
    weft::ThreadPoolExecutor pool(2);
    for (int i = 0; i < 20; ++i) {
      pool.submit([&] {
        std::this_thread::sleep_for(1ms);
        ++ran;
      });
    }
  }  // the destructor is shutdown(true)
  CHECK(ran.load() == 20);
}

TEST_CASE("production_many_tasks_from_several_submitters") {
  weft::ThreadPoolExecutor pool(4);
  constexpr int kSubmitters = 4;
  constexpr int kTasks = 400;
  std::vector<long> sums(kSubmitters, 0);
  std::vector<weft::Thread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&, s] {
      std::vector<weft::Future<long>> fs;
      for (int i = 0; i < kTasks; ++i) fs.push_back(pool.submit([i] { return long{i}; }));
      long sum = 0;
      for (auto& f : weft::as_completed(fs)) sum += f.get();
      sums[s] = sum;
    });
  }
  for (auto& t : submitters) t.join();
  for (long s : sums) CHECK(s == long{kTasks} * (kTasks - 1) / 2);
}

// The lock-free production path: races between completion and whatever registers on a future,
// between cancels, between shutdown and submits; a burst reaching every worker.

TEST_CASE("production_callbacks_added_while_tasks_complete_run_exactly_once") {
  weft::ThreadPoolExecutor pool(2);
  constexpr int kTasks = 300;
  std::vector<std::atomic<int>> calls(kTasks);
  std::vector<weft::Future<int>> fs;
  for (int i = 0; i < kTasks; ++i) fs.push_back(pool.submit([i] { return i; }));
  // Some futures complete before their callback is added, some after, some during.
  for (int i = 0; i < kTasks; ++i) {
    fs[static_cast<std::size_t>(i)].add_done_callback([&calls, i](weft::Future<int>& f) {
      CHECK(f.get() == i);
      calls[static_cast<std::size_t>(i)].fetch_add(1);
    });
  }
  pool.shutdown();
  for (int i = 0; i < kTasks; ++i) CHECK(calls[static_cast<std::size_t>(i)].load() == 1);
}

TEST_CASE("production_concurrent_cancels_both_succeed_and_callbacks_run_once") {
  weft::ThreadPoolExecutor pool(1);
  weft::Event started, gate;
  weft::Future<void> blocker = pool.submit([&] {
    started.set();
    gate.wait();
  });
  started.wait();
  for (int round = 0; round < 20; ++round) {
    weft::Future<int> queued = pool.submit([] { return 1; });
    std::atomic<int> callbacks{0};
    queued.add_done_callback([&](weft::Future<int>& f) {
      CHECK(f.cancelled());
      ++callbacks;
    });
    std::atomic<bool> other{false};
    std::thread t([&] { other = queued.cancel(); });
    const bool mine = queued.cancel();
    t.join();
    CHECK(mine);
    CHECK(other.load());
    CHECK(queued.cancelled());
    CHECK(callbacks.load() == 1);
    CHECK_THROWS_AS(queued.get(), weft::CancelledError);
  }
  gate.set();
  blocker.get();
}

namespace {
struct ThrowsOnCopy {
  ThrowsOnCopy() = default;
  ThrowsOnCopy(const ThrowsOnCopy&) { throw std::runtime_error("copy fails"); }
  ThrowsOnCopy& operator=(const ThrowsOnCopy&) = default;
};
}  // namespace

TEST_CASE("production_a_promise_whose_value_fails_to_store_stays_pending") {
  weft::Promise<ThrowsOnCopy> p;
  weft::Future<ThrowsOnCopy> f = p.get_future();
  const ThrowsOnCopy bad;
  CHECK_THROWS_WITH_AS(p.set_value(bad), "copy fails", std::runtime_error);
  CHECK_FALSE(f.done());
  CHECK(f.cancel());  // still pending, so cancellable
  CHECK(f.cancelled());

  weft::Promise<ThrowsOnCopy> q;
  CHECK_THROWS_AS(q.set_value(bad), std::runtime_error);
  CHECK(q.set_value());  // a default-constructed value stores fine afterwards
  CHECK(q.get_future().done());
  CHECK_THROWS_AS(q.set_value(), weft::UsageError);
}

TEST_CASE("production_wait_for_is_woken_by_the_completion") {
  weft::ThreadPoolExecutor pool(1);
  weft::Event gate;
  weft::Future<int> f = pool.submit([&] {
    gate.wait();
    return 5;
  });
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    gate.set();
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(f.wait_for(60s));  // registered on the slow path, woken by the task, not the timeout
  CHECK(std::chrono::steady_clock::now() - t0 < 30s);
  CHECK(f.get() == 5);
  releaser.join();
}

TEST_CASE("production_every_submit_racing_shutdown_either_throws_or_runs") {
  for (int round = 0; round < 10; ++round) {
    weft::ThreadPoolExecutor pool(2);
    std::atomic<int> ran{0};
    std::atomic<int> accepted{0};
    std::vector<weft::Future<void>> fs;
    std::mutex fs_m;
    std::vector<std::thread> submitters;
    for (int s = 0; s < 2; ++s) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 200; ++i) {
          try {
            weft::Future<void> f = pool.submit([&] { ++ran; });
            ++accepted;
            std::lock_guard lock(fs_m);
            fs.push_back(f);
          } catch (const std::runtime_error&) {
            return;  // shut down
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50 * round));
    pool.shutdown(/*wait=*/true);
    for (auto& t : submitters) t.join();
    // Nothing accepted was lost: shutdown(true) returned after every accepted task ran.
    CHECK(ran.load() == accepted.load());
    for (auto& f : fs) CHECK(f.done());
  }
}

TEST_CASE("production_tasks_that_submit_tasks_get_every_result") {
  // Workers are submitters too: pushes from several threads, wake-ups and worker starts from
  // inside a worker. Two outer tasks on three workers leave one worker for the inner tasks.
  weft::ThreadPoolExecutor pool(3);
  constexpr int kOuter = 2;
  constexpr int kInner = 100;
  std::vector<weft::Future<long>> outer;
  for (int t = 0; t < kOuter; ++t) {
    outer.push_back(pool.submit([&pool, t] {
      std::vector<weft::Future<long>> inner;
      for (int i = 0; i < kInner; ++i) {
        inner.push_back(pool.submit([t, i] { return long{t * 1000 + i}; }));
      }
      long sum = 0;
      for (auto& f : inner) sum += f.get();
      return sum;
    }));
  }
  for (int t = 0; t < kOuter; ++t) {
    CHECK(outer[static_cast<std::size_t>(t)].get() ==
          long{kInner} * t * 1000 + long{kInner} * (kInner - 1) / 2);
  }
}

TEST_CASE("production_a_burst_reaches_every_worker") {
  // Two tasks that can only finish together: they need two workers at the same time.
  weft::ThreadPoolExecutor pool(2);
  for (int round = 0; round < 3; ++round) {
    std::atomic<int> arrived{0};
    auto meet = [&] {
      ++arrived;
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (arrived.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      return arrived.load() == 2;
    };
    weft::Future<bool> a = pool.submit(meet);
    weft::Future<bool> b = pool.submit(meet);
    CHECK(a.get());
    CHECK(b.get());
    std::this_thread::sleep_for(5ms);  // idle long enough for the workers to sleep in between
  }
}

// ---------------------------------------------------------------------------------------------
// Model mode

TEST_CASE("model_seed_exceptions_through_futures_explores_clean") {
  for (Strategy s : {Strategy::PCT, Strategy::Random, Strategy::POS}) {
    const weft::Report r = weft::explore(
        [] { WEFT_ASSERT(exceptions_through_futures() == kRiskyFetchLines); }, options(s, 150));
    require_clean(r);
  }
}

TEST_CASE("model_results_exceptions_and_map_order_hold_in_every_schedule") {
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(2);
        weft::Future<int> a = pool.submit([] { return 1; });
        weft::Future<int> bad = pool.submit([]() -> int { throw std::runtime_error("bad"); });
        const std::vector<int> squares =
            pool.map([](int x) { return x * x; }, std::vector<int>{3, 1, 2});
        WEFT_ASSERT((squares == std::vector<int>{9, 1, 4}));
        WEFT_ASSERT(a.get() == 1);
        WEFT_ASSERT(bad.exception() != nullptr);
        bool threw = false;
        try {
          bad.get();
        } catch (const std::runtime_error& e) {
          threw = std::string(e.what()) == "bad";
        }
        WEFT_ASSERT(threw);
        WEFT_ASSERT(a.done() && bad.done());
      },
      options(Strategy::PCT, 200));
  require_clean(r);
}

TEST_CASE("model_dfs_exhausts_a_small_pool_program") {
  weft::Options o = options(Strategy::DFS, 100000);
  o.preemption_bound = 1;
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(2);
        weft::Future<int> a = pool.submit([] { return 1; });
        weft::Future<int> b = pool.submit([] { return 2; });
        WEFT_ASSERT(a.get() + b.get() == 3);
      },
      o);
  require_clean(r);
  CHECK(r.exhausted);
}

TEST_CASE("model_cancel_succeeds_before_start_and_fails_after") {
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(1);
        weft::Event started("started"), gate("gate");
        weft::Shared<int> second_ran(0, "second_ran");
        weft::Future<int> first = pool.submit([&] {
          started.set();
          gate.wait();
          return 1;
        });
        weft::Future<int> second = pool.submit([&] {
          second_ran.store(1);
          return 2;
        });
        started.wait();
        WEFT_ASSERT(!first.cancel());  // running
        WEFT_ASSERT(second.cancel());  // queued behind it
        WEFT_ASSERT(second.cancelled() && second.done());
        gate.set();
        WEFT_ASSERT(first.get() == 1);
        WEFT_ASSERT(!first.cancel());
        bool cancelled_error = false;
        try {
          second.get();
        } catch (const weft::CancelledError&) {
          cancelled_error = true;
        }
        WEFT_ASSERT(cancelled_error);
        pool.shutdown();
        WEFT_ASSERT(second_ran.load() == 0);
      },
      options(Strategy::Random, 150));
  require_clean(r);
}

TEST_CASE("model_as_completed_yields_every_future_once_and_done") {
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(3);
        std::vector<weft::Future<int>> futures;
        for (int i = 0; i < 4; ++i) futures.push_back(pool.submit([i] { return i; }));
        futures[3].cancel();  // may or may not have started
        std::vector<int> count(4, 0);
        for (weft::Future<int>& f : weft::as_completed(futures)) {
          WEFT_ASSERT(f.wait_for(0s));  // done through every member
          WEFT_ASSERT(f.done());
          const auto i = static_cast<std::size_t>(&f - futures.data());
          WEFT_ASSERT(i < 4);
          ++count[i];
          if (!f.cancelled()) WEFT_ASSERT(f.get() == static_cast<int>(i));
        }
        WEFT_ASSERT((count == std::vector<int>{1, 1, 1, 1}));
      },
      options(Strategy::PCT, 200));
  require_clean(r);
}

TEST_CASE("model_as_completed_respects_completion_causality") {
  // b's task waits for a: a completes first in every schedule, so it is yielded first.
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(2);
        weft::Future<int> a = pool.submit([] { return 1; });
        weft::Future<int> b = pool.submit([a] { return a.get() + 1; });
        std::vector<weft::Future<int>> futures{b, a};
        std::vector<int> order;
        for (auto& f : weft::as_completed(futures)) order.push_back(f.get());
        WEFT_ASSERT((order == std::vector<int>{1, 2}));
      },
      options(Strategy::Random, 300));
  require_clean(r);
}

TEST_CASE("model_wait_conditions_hold_in_every_schedule") {
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(2);
        std::vector<weft::Future<int>> futures;
        futures.push_back(pool.submit([] { return 0; }));
        futures.push_back(pool.submit([]() -> int { throw std::runtime_error("x"); }));
        futures.push_back(pool.submit([] { return 2; }));
        const weft::WaitResult first = weft::wait(futures, weft::ReturnWhen::FirstCompleted);
        WEFT_ASSERT(!first.done.empty());
        WEFT_ASSERT(first.done.size() + first.not_done.size() == 3);
        for (std::size_t i : first.done) WEFT_ASSERT(futures[i].wait_for(0s) && futures[i].done());
        const weft::WaitResult exc = weft::wait(futures, weft::ReturnWhen::FirstException);
        WEFT_ASSERT(std::find(exc.done.begin(), exc.done.end(), 1u) != exc.done.end());
        const weft::WaitResult all = weft::wait(futures);
        WEFT_ASSERT((all.done == std::vector<std::size_t>{0, 1, 2}) && all.not_done.empty());
        for (auto& f : futures) WEFT_ASSERT(f.done());
      },
      options(Strategy::PCT, 200));
  require_clean(r);
}

TEST_CASE("model_done_callbacks_run_exactly_once_whoever_completes_first") {
  const weft::Report r = weft::explore(
      [] {
        weft::Shared<int> calls(0, "calls");
        weft::Mutex m("m");
        {
          weft::ThreadPoolExecutor pool(1);
          weft::Future<int> f = pool.submit([] { return 5; });
          // Races the completion: runs here if f is done already, else in the worker.
          f.add_done_callback([&](weft::Future<int>& g) {
            WEFT_ASSERT(g.get() == 5);
            std::lock_guard lock(m);
            calls += 1;
          });
          WEFT_ASSERT(f.get() == 5);
        }  // joins the worker
        WEFT_ASSERT(calls.load() == 1);
      },
      options(Strategy::Random, 200));
  require_clean(r);
}

TEST_CASE("model_shutdown_cancel_futures_cancels_queued_tasks") {
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(1);
        weft::Event started("started"), gate("gate");
        weft::Future<int> running = pool.submit([&] {
          started.set();
          gate.wait();
          return 1;
        });
        weft::Future<int> queued = pool.submit([] { return 2; });
        started.wait();
        pool.shutdown(false, true);
        WEFT_ASSERT(queued.cancelled());
        bool refused = false;
        try {
          pool.submit([] { return 3; });
        } catch (const std::runtime_error&) {
          refused = true;
        }
        WEFT_ASSERT(refused);
        gate.set();
        WEFT_ASSERT(running.get() == 1);
      },
      options(Strategy::PCT, 150));
  require_clean(r);
}

TEST_CASE("model_locked_counter_in_pool_tasks_is_clean") {
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex m("m");
        weft::Shared<int> counter(0, "counter");
        weft::ThreadPoolExecutor pool(2);
        auto inc = [&] {
          std::lock_guard lock(m);
          counter += 1;
        };
        weft::Future<void> a = pool.submit(inc);
        weft::Future<void> b = pool.submit(inc);
        a.get();
        b.get();
        WEFT_ASSERT(counter.load() == 2);  // get() orders the tasks' writes before this read
      },
      options(Strategy::PCT, 300));
  require_clean(r);
}

TEST_CASE("model_unlocked_counter_in_pool_tasks_is_found") {
  auto body = [] {
    weft::Shared<int> counter(0, "counter");
    weft::ThreadPoolExecutor pool(2);
    weft::Future<void> a = pool.submit([&] { counter += 1; });
    weft::Future<void> b = pool.submit([&] { counter += 1; });
    a.get();
    b.get();
    WEFT_ASSERT(counter.load() == 2);
  };
  const weft::Report r = weft::explore(body, options(Strategy::PCT, 1000));
  REQUIRE_FALSE(r.ok());
  CHECK((r.found(BugKind::LostUpdate) || r.found(BugKind::AssertionFailure)));
  // Without the checkers the lost update itself must happen in some schedule.
  weft::Options o = strategy_only(Strategy::PCT, 2000);
  const weft::Report plain = weft::explore(body, o);
  CHECK_MESSAGE(plain.found(BugKind::AssertionFailure), plain.summary());
}

TEST_CASE("model_task_waiting_on_a_task_queued_behind_it_is_a_deadlock") {
  // Python's documented ThreadPoolExecutor deadlock: the only worker waits for a future whose
  // task is queued behind the one it is running.
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(1);
        weft::Future<int> outer = pool.submit([&pool] {
          weft::Future<int> inner = pool.submit([] { return 25; });
          return inner.get();
        });
        WEFT_ASSERT(outer.get() == 25);
      },
      options(Strategy::PCT, 100));
  REQUIRE_MESSAGE(r.found(BugKind::Deadlock), r.summary());
  CHECK(contains(r.bugs[0].message, "Future@test_futures.cpp"));
  // The bug replays.
  const weft::Report again = weft::replay(
      [] {
        weft::ThreadPoolExecutor pool(1);
        weft::Future<int> outer = pool.submit([&pool] {
          weft::Future<int> inner = pool.submit([] { return 25; });
          return inner.get();
        });
        WEFT_ASSERT(outer.get() == 25);
      },
      r.bugs[0].schedule);
  CHECK(again.found(BugKind::Deadlock));
}

TEST_CASE("model_an_exception_leaving_the_pool_scope_still_waits_for_its_tasks") {
  // The destructor runs while the exception propagates: the tasks finish first, and what they
  // wrote is ordered before the code after the catch (no race, no lost write).
  const weft::Report r = weft::explore(
      [] {
        weft::Shared<int> x(0, "x");
        bool caught = false;
        try {
          weft::ThreadPoolExecutor pool(2);
          pool.submit([&] { x.store(1); });
          weft::Future<int> bad = pool.submit([]() -> int { throw ConnectionError("down"); });
          bad.get();
        } catch (const ConnectionError&) {
          caught = true;
        }
        WEFT_ASSERT(caught);
        WEFT_ASSERT(x.load() == 1);
      },
      options(Strategy::Random, 300));
  require_clean(r);
}

TEST_CASE("model_an_exception_leaving_a_pool_with_stuck_tasks_is_a_deadlock_not_a_crash") {
  // Production would hang in the destructor: the task waits for an event the code after the
  // exception would have set.
  const weft::Report r = weft::explore(
      [] {
        weft::Event gate("gate");
        weft::ThreadPoolExecutor pool(2);
        weft::Future<int> bad = pool.submit([]() -> int { throw ConnectionError("down"); });
        pool.submit([&] { gate.wait(); });
        bad.get();  // throws out of the body, through the pool's destructor
        gate.set();
      },
      options(Strategy::PCT, 50));
  REQUIRE_MESSAGE(r.found(BugKind::Deadlock), r.summary());
  CHECK(contains(r.bugs[0].message, "exception left the scope of ThreadPoolExecutor@"));
}

TEST_CASE("model_a_task_exception_rethrown_out_of_the_body_is_an_uncaught_exception") {
  const weft::Report r = weft::explore(
      [] {
        weft::ThreadPoolExecutor pool(2);
        pool.submit([] { weft::this_thread::yield(); });
        pool.submit([]() -> int { throw ConnectionError("down"); }).get();
      },
      options(Strategy::PCT, 50));
  REQUIRE_MESSAGE(r.found(BugKind::UncaughtException), r.summary());
  CHECK(contains(r.bugs[0].message, "down"));
}

TEST_CASE("model_an_exception_escaping_a_done_callback_is_reported") {
  const weft::Report r = weft::explore(
      [] {
        weft::Promise<int> p;
        weft::Future<int> f = p.get_future();
        f.add_done_callback([](weft::Future<int>&) { throw std::runtime_error("in callback"); });
        p.set_value(1);
      },
      options(Strategy::PCT, 10));
  REQUIRE(r.found(BugKind::UncaughtException));
  CHECK(contains(r.bugs[0].message, "in callback"));
}

TEST_CASE("model_exploring_a_pool_program_is_deterministic") {
  auto body = [] {
    weft::ThreadPoolExecutor pool(2);
    std::vector<weft::Future<int>> fs;
    for (int i = 0; i < 3; ++i) fs.push_back(pool.submit([i] { return i; }));
    int last = -1;
    for (auto& f : weft::as_completed(fs)) last = f.get();
    WEFT_ASSERT(last != 0);  // a real (schedule-dependent) failure: 0 can complete last
  };
  const weft::Report a = weft::explore(body, options(Strategy::Random, 300));
  const weft::Report b = weft::explore(body, options(Strategy::Random, 300));
  REQUIRE(a.found(BugKind::AssertionFailure));
  CHECK(a.summary() == b.summary());
}

TEST_CASE("model_a_future_from_production_is_a_usage_error_in_the_model") {
  weft::Promise<int> p;
  weft::Future<int> f = p.get_future();
  p.set_value(1);
  const weft::Report r = weft::explore([&] { (void)f.get(); }, options(Strategy::PCT, 5));
  REQUIRE(r.found(BugKind::UncaughtException));
  CHECK(contains(r.bugs[0].message, "UsageError"));
}

TEST_SUITE_END();
