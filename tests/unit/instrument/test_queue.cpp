// Queue<T> (Python queue.Queue) in both modes: FIFO, bounds, non-blocking and timed operations,
// task_done/join, shutdown, move-only elements, and the classic worker-pool programs.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("instrument/queue");

using namespace weft_test;
using namespace std::chrono_literals;
using weft::BugKind;
using weft::Strategy;

namespace {

// A worker pool fed through a task queue, stopped with one poison pill (-1) per worker; the
// results come back through a second queue.
void poison_pill_pool(int pills) {
  constexpr int kWorkers = 3;
  constexpr int kTasks = 6;
  weft::Queue<int> tasks(0, "tasks");
  weft::Queue<int> results(0, "results");
  std::vector<weft::Thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        const int task = tasks.get();
        if (task < 0) break;
        results.put(task * task);
      }
    });
  }
  for (int i = 1; i <= kTasks; ++i) tasks.put(i);
  for (int p = 0; p < pills; ++p) tasks.put(-1);
  int sum = 0;
  for (int i = 0; i < kTasks; ++i) sum += results.get();
  for (auto& w : workers) w.join();
  WEFT_ASSERT(sum == 1 + 4 + 9 + 16 + 25 + 36);
  WEFT_ASSERT(tasks.empty() && results.empty());
}

// Producer/consumer through a queue of `maxsize`; the consumer checks the order.
void fifo_pipeline(std::size_t maxsize, int items) {
  weft::Queue<int> q(maxsize, "q");
  weft::Thread producer([&] {
    for (int i = 0; i < items; ++i) {
      q.put(i);
      if (maxsize > 0) WEFT_ASSERT_MSG(q.size() <= maxsize, "the bound was exceeded");
    }
  });
  weft::Thread consumer([&] {
    for (int i = 0; i < items; ++i) WEFT_ASSERT_MSG(q.get() == i, "out of order");
  });
  producer.join();
  consumer.join();
  WEFT_ASSERT(q.empty());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Production mode

TEST_CASE("production_queue_is_fifo_with_size_and_empty") {
  weft::Queue<int> q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(q.maxsize() == 0);
  for (int i = 0; i < 5; ++i) q.put(i);
  CHECK(q.size() == 5);
  CHECK_FALSE(q.empty());
  for (int i = 0; i < 5; ++i) CHECK(q.get() == i);
  CHECK(q.empty());
  CHECK_FALSE(q.try_get().has_value());
}

TEST_CASE("production_queue_try_put_on_full_and_try_get_on_empty") {
  weft::Queue<int> q(2);
  CHECK(q.maxsize() == 2);
  CHECK(q.try_put(1));
  CHECK(q.try_put(2));
  CHECK_FALSE(q.try_put(3));
  CHECK(q.size() == 2);
  CHECK(q.try_get() == std::optional<int>(1));
  CHECK(q.try_get() == std::optional<int>(2));
  CHECK(q.try_get() == std::nullopt);
}

TEST_CASE("production_queue_put_for_and_get_for_time_out_for_real") {
  weft::Queue<int> q(1);
  auto t0 = weft::Clock::now();
  CHECK(q.get_for(20ms) == std::nullopt);
  CHECK(weft::Clock::now() - t0 >= 20ms);
  CHECK(q.put_for(1, 20ms));  // room: no wait
  t0 = weft::Clock::now();
  CHECK_FALSE(q.put_for(2, 20ms));
  CHECK(weft::Clock::now() - t0 >= 20ms);
  CHECK(q.size() == 1);
  CHECK(q.get_for(1s) == std::optional<int>(1));
  // a timed get that a real thread satisfies
  weft::Thread producer([&] {
    weft::this_thread::sleep_for(5ms);
    q.put(9);
  });
  CHECK(q.get_for(10s) == std::optional<int>(9));
  producer.join();
}

TEST_CASE("production_queue_bounded_put_blocks_until_a_get") {
  weft::Queue<int> q(1);
  q.put(1);
  std::atomic<bool> second_put_done{false};
  weft::Thread producer([&] {
    q.put(2);  // blocks: full
    second_put_done = true;
  });
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(second_put_done.load());
  CHECK(q.get() == 1);
  producer.join();
  CHECK(second_put_done.load());
  CHECK(q.get() == 2);
}

TEST_CASE("production_queue_join_returns_after_every_task_done") {
  weft::Queue<int> q;
  std::atomic<int> processed{0};
  std::vector<weft::Thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        const int item = q.get();
        if (item < 0) {
          q.task_done();
          return;
        }
        processed.fetch_add(1);
        q.task_done();
      }
    });
  }
  for (int i = 0; i < 100; ++i) q.put(i);
  q.join();
  CHECK(processed.load() == 100);
  q.put(-1);
  q.put(-1);
  for (auto& w : workers) w.join();
  q.join();  // nothing unfinished: returns at once
  CHECK_THROWS_AS(q.task_done(), std::logic_error);
}

TEST_CASE("production_queue_task_done_more_than_put_throws_logic_error") {
  weft::Queue<int> q;
  CHECK_THROWS_AS(q.task_done(), std::logic_error);
  q.put(1);
  q.task_done();  // allowed before the get, as in Python
  CHECK_THROWS_AS(q.task_done(), std::logic_error);
  CHECK(q.get() == 1);
}

TEST_CASE("production_queue_shutdown_drains_then_throws") {
  weft::Queue<int> q;
  q.put(1);
  q.put(2);
  q.shutdown();
  CHECK_THROWS_AS(q.put(3), weft::QueueShutDown);
  CHECK_THROWS_AS((void)q.try_put(3), weft::QueueShutDown);
  CHECK_THROWS_AS((void)q.put_for(3, 1ms), weft::QueueShutDown);
  CHECK(q.get() == 1);
  CHECK(q.try_get() == std::optional<int>(2));
  CHECK_THROWS_AS(q.get(), weft::QueueShutDown);
  CHECK_THROWS_AS((void)q.try_get(), weft::QueueShutDown);
  CHECK_THROWS_AS((void)q.get_for(1ms), weft::QueueShutDown);
  q.shutdown();  // idempotent
}

TEST_CASE("production_queue_shutdown_immediate_drops_items_and_wakes_blocked_threads") {
  weft::Queue<int> empty_q;
  weft::Queue<int> full_q(1);
  full_q.put(1);
  std::atomic<int> shut_down_seen{0};
  weft::Thread getter([&] {
    try {
      (void)empty_q.get();
    } catch (const weft::QueueShutDown&) {
      shut_down_seen.fetch_add(1);
    }
  });
  weft::Thread putter([&] {
    try {
      full_q.put(2);
    } catch (const weft::QueueShutDown&) {
      shut_down_seen.fetch_add(1);
    }
  });
  std::this_thread::sleep_for(20ms);  // both are (very likely) blocked by now; either way works
  empty_q.shutdown(true);
  full_q.shutdown(true);
  getter.join();
  putter.join();
  CHECK(shut_down_seen.load() == 2);
  CHECK(full_q.empty());
  full_q.join();  // the dropped item counts as done
  CHECK_THROWS_AS((void)full_q.get(), weft::QueueShutDown);
}

TEST_CASE("production_queue_holds_move_only_elements") {
  weft::Queue<std::unique_ptr<int>> q(2);
  q.put(std::make_unique<int>(7));
  CHECK(q.try_put(std::make_unique<int>(8)));
  CHECK_FALSE(q.try_put(std::make_unique<int>(9)));
  CHECK_FALSE(q.put_for(std::make_unique<int>(10), 1ms));
  std::unique_ptr<int> a = q.get();
  REQUIRE(a);
  CHECK(*a == 7);
  std::optional<std::unique_ptr<int>> b = q.get_for(1s);
  REQUIRE(b.has_value());
  CHECK(**b == 8);
  CHECK(q.try_get() == std::nullopt);
}

TEST_CASE("production_queue_moves_100k_items_between_two_producers_and_two_consumers") {
  constexpr int kPerProducer = 50000;
  constexpr int kTotal = 2 * kPerProducer;
  weft::Queue<int> q(64);
  std::vector<int> got[2];
  std::vector<weft::Thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&q, p] {
      for (int i = 0; i < kPerProducer; ++i) q.put(p * kPerProducer + i);
    });
  }
  std::vector<weft::Thread> consumers;
  for (int c = 0; c < 2; ++c) {
    consumers.emplace_back([&q, &got, c] {
      got[c].reserve(kTotal);
      try {
        for (;;) got[c].push_back(q.get());
      } catch (const weft::QueueShutDown&) {
      }
    });
  }
  for (auto& p : producers) p.join();
  q.shutdown();  // the consumers drain what is left, then stop
  for (auto& c : consumers) c.join();
  std::vector<int> seen(kTotal, 0);
  bool in_range = true;
  for (const auto& v : got) {
    for (int x : v) {
      if (x < 0 || x >= kTotal) {
        in_range = false;
        continue;
      }
      ++seen[x];
    }
  }
  CHECK(in_range);
  CHECK(got[0].size() + got[1].size() == static_cast<std::size_t>(kTotal));
  int exactly_once = 0;
  for (int n : seen) exactly_once += n == 1 ? 1 : 0;
  CHECK(exactly_once == kTotal);
  // Each producer's items arrive in its order at each consumer (FIFO).
  bool ordered = true;
  for (const auto& v : got) {
    int last[2] = {-1, -1};
    for (int x : v) {
      const int p = x / kPerProducer;
      if (x <= last[p]) ordered = false;
      last[p] = x;
    }
  }
  CHECK(ordered);
}

// ---------------------------------------------------------------------------------------------
// Model mode

TEST_CASE("queue_is_fifo_between_a_producer_and_a_consumer_in_every_schedule") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore([] { fifo_pipeline(0, 5); }, with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("bounded_queue_put_blocks_while_full_and_never_exceeds_maxsize") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore([] { fifo_pipeline(2, 6); }, with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("bounded_queue_put_with_nobody_getting_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Queue<int> q(2, "bounded");
        weft::Thread producer([&] {
          for (int i = 0; i < 3; ++i) q.put(i);  // the third put blocks forever
        });
        producer.join();
      },
      with(Strategy::Random, 10)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "waits for Queue bounded"));
}

TEST_CASE("queue_get_on_an_empty_queue_with_no_producer_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Queue<int> q(0, "inbox");
    (void)q.get();
  }));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "main waits for Queue inbox"));
}

TEST_CASE("queue_try_put_on_full_and_try_get_on_empty_in_the_model") {
  const weft::Report r = weft::explore([] {
    weft::Queue<int> q(2);
    WEFT_ASSERT(q.maxsize() == 2);
    WEFT_ASSERT(!q.try_get().has_value());
    WEFT_ASSERT(q.try_put(1));
    WEFT_ASSERT(q.try_put(2));
    WEFT_ASSERT(!q.try_put(3));  // full: dropped
    WEFT_ASSERT(q.size() == 2);
    WEFT_ASSERT(q.try_get() == std::optional<int>(1));
    WEFT_ASSERT(q.get() == 2);
    WEFT_ASSERT(q.empty());
    WEFT_ASSERT(virtual_elapsed() == 0s);  // nothing waited
  });
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("queue_put_for_and_get_for_time_out_after_exactly_the_timeout_in_virtual_time") {
  const auto start = std::chrono::steady_clock::now();
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<int> q(1);
        const auto t0 = weft::Clock::now();
        WEFT_ASSERT(!q.get_for(2s).has_value());
        WEFT_ASSERT(weft::Clock::now() - t0 == 2s);
        WEFT_ASSERT(q.put_for(1, 1h));  // room: returns at once
        WEFT_ASSERT(weft::Clock::now() - t0 == 2s);
        WEFT_ASSERT(!q.put_for(2, 3s));
        WEFT_ASSERT(weft::Clock::now() - t0 == 5s);
        WEFT_ASSERT(q.size() == 1);
        WEFT_ASSERT(!q.put_for(2, 0s));
        WEFT_ASSERT(q.get_for(0s) == std::optional<int>(1));
        WEFT_ASSERT(!q.get_for(0s).has_value());
        WEFT_ASSERT(weft::Clock::now() - t0 == 5s);
      },
      with(Strategy::PCT, 20));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("queue_timed_operations_succeed_when_another_thread_acts_in_time") {
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<int> q(1);
        weft::Thread other([&] {
          weft::this_thread::sleep_for(1s);
          q.put(5);  // satisfies the timed get
          weft::this_thread::sleep_for(1s);
          WEFT_ASSERT(q.get() == 6);  // makes room for the timed put
        });
        WEFT_ASSERT(q.get_for(1h) == std::optional<int>(5));
        WEFT_ASSERT(virtual_elapsed() == 1s);
        WEFT_ASSERT(q.put_for(6, 1h));
        WEFT_ASSERT(q.put_for(7, 1h));  // full until the get at 2 s
        WEFT_ASSERT(virtual_elapsed() == 2s);
        other.join();
        WEFT_ASSERT(q.get() == 7);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("queue_get_for_timeout_and_put_at_the_same_instant_are_both_explored") {
  static std::set<bool> outcomes;
  outcomes.clear();
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<int> q;
        bool got = false;
        weft::Thread a([&] { got = q.get_for(1s).has_value(); });
        weft::Thread b([&] {
          weft::this_thread::sleep_for(1s);
          q.put(1);
        });
        a.join();
        b.join();
        WEFT_ASSERT(q.size() == (got ? 0u : 1u));
        outcomes.insert(got);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(outcomes == std::set<bool>{false, true});
}

// LIBRARY BUG (same as production_huge_timeouts_wait_instead_of_expiring_at_once): a huge
// timeout overflows inside std::condition_variable::wait_for, so get_for returns nullopt at once
// in production while the model waits (saturated deadline) for the item.
TEST_CASE("production_queue_get_for_with_a_huge_timeout_waits_for_the_item") {
  weft::Queue<int> q;
  weft::Thread producer([&] {
    weft::this_thread::sleep_for(20ms);
    q.put(3);
  });
  CHECK(q.get_for(std::chrono::hours::max()) == std::optional<int>(3));
  producer.join();
}

TEST_CASE("queue_get_for_with_nanoseconds_max_waits_for_the_item_in_the_model") {
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<int> q;
        weft::Thread producer([&] {
          weft::this_thread::sleep_for(1s);
          q.put(3);
        });
        WEFT_ASSERT(q.get_for(std::chrono::nanoseconds::max()) == std::optional<int>(3));
        WEFT_ASSERT(virtual_elapsed() == 1s);
        producer.join();
        WEFT_ASSERT(!q.get_for(std::chrono::nanoseconds::max()).has_value());  // saturates
      },
      with(Strategy::Random, 50));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// Regression (fixed): Queue::get_for / put_for first duration_cast the timeout to nanoseconds,
// which overflows for hours::max() (signed overflow: the result is garbage, here not positive), so
// even in the model get_for(hours::max()) returns nullopt at once at virtual time 0 instead of
// waiting for the put at 1 s. Event::wait_for and Semaphore::try_acquire_for pass the duration
// to detail::deadline_after, which saturates, and get this right (see
// huge_timeouts_saturate_in_virtual_time).
TEST_CASE("queue_get_for_with_hours_max_waits_for_the_item_in_the_model") {
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<int> q(1);
        weft::Thread producer([&] {
          weft::this_thread::sleep_for(1s);
          q.put(3);
        });
        WEFT_ASSERT_MSG(q.get_for(std::chrono::hours::max()) == std::optional<int>(3),
                        "get_for(hours::max()) gave up at once");
        WEFT_ASSERT_MSG(q.put_for(4, std::chrono::hours::max()), "put_for had room");
        producer.join();
      },
      with(Strategy::Random, 50));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("queue_join_returns_only_after_every_item_is_task_done") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore(
        [] {
          weft::Queue<int> q(0, "work");
          weft::Atomic<int> done(0);
          std::vector<weft::Thread> workers;
          for (int w = 0; w < 2; ++w) {
            workers.emplace_back([&] {
              for (int k = 0; k < 2; ++k) {
                (void)q.get();
                done.fetch_add(1);
                q.task_done();
              }
            });
          }
          for (int i = 0; i < 4; ++i) q.put(i);
          q.join();
          WEFT_ASSERT_MSG(done.load() == 4, "join returned before every task_done");
          for (auto& w : workers) w.join();
          q.join();  // nothing unfinished: at once
        },
        with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("queue_join_with_a_missing_task_done_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Queue<int> q(0, "work");
        weft::Thread worker([&] {
          (void)q.get();
          q.task_done();
          (void)q.get();  // forgets task_done
        });
        q.put(1);
        q.put(2);
        q.join();
        worker.join();
      },
      with(Strategy::PCT, 100)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "main waits for Queue work"));
}

TEST_CASE("queue_task_done_more_than_put_is_misuse_in_the_model") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Queue<int> q(0, "jobs");
        weft::Thread worker([&] {
          (void)q.get();
          q.task_done();
          q.task_done();  // one too many
        });
        q.put(1);
        worker.join();
      },
      with(Strategy::Random, 50)));
  CHECK(b.kind == BugKind::Misuse);
  CHECK(contains(b.message, "called more times than put"));
  CHECK(contains(b.message, "jobs"));
  CHECK(contains(b.message, "test_queue.cpp:"));
}

TEST_CASE("queue_shutdown_lets_getters_drain_then_throws_queue_shut_down") {
  static std::set<int> drained;
  drained.clear();
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<int> q(0, "q");
        weft::Thread consumer([&] {
          int expected = 1;
          try {
            for (;;) {
              WEFT_ASSERT(q.get() == expected);
              ++expected;
            }
          } catch (const weft::QueueShutDown&) {
          }
          WEFT_ASSERT_MSG(expected == 4, "an item was lost in the shutdown");
          drained.insert(expected - 1);
        });
        q.put(1);
        q.put(2);
        q.put(3);
        q.shutdown();
        bool threw = false;
        try {
          q.put(4);
        } catch (const weft::QueueShutDown& e) {
          threw = contains(e.what(), "shut down");
        }
        WEFT_ASSERT(threw);
        consumer.join();
        bool get_threw = false;
        try {
          (void)q.try_get();
        } catch (const weft::QueueShutDown&) {
          get_threw = true;
        }
        WEFT_ASSERT(get_threw);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(drained == std::set<int>{3});
}

TEST_CASE("queue_shutdown_immediate_drops_items_and_wakes_blocked_getters_and_putters") {
  for (Strategy s : {Strategy::PCT, Strategy::Random}) {
    const weft::Report r = weft::explore(
        [] {
          weft::Queue<int> inbox(0, "inbox");
          weft::Queue<int> outbox(1, "outbox");
          outbox.put(1);
          weft::Atomic<int> shut_down_seen(0);
          weft::Thread getter([&] {
            try {
              (void)inbox.get();
            } catch (const weft::QueueShutDown&) {
              shut_down_seen.fetch_add(1);
            }
          });
          weft::Thread putter([&] {
            try {
              outbox.put(2);  // full: blocks until the shutdown
            } catch (const weft::QueueShutDown&) {
              shut_down_seen.fetch_add(1);
            }
          });
          weft::this_thread::sleep_for(1s);  // both are blocked by now
          inbox.shutdown(true);
          outbox.shutdown(true);
          getter.join();
          putter.join();
          WEFT_ASSERT(shut_down_seen.load() == 2);
          WEFT_ASSERT(outbox.empty());  // the item still in it was dropped...
          outbox.join();                // ...and counts as done
          bool threw = false;
          try {
            (void)outbox.get();
          } catch (const weft::QueueShutDown&) {
            threw = true;
          }
          WEFT_ASSERT(threw);
        },
        with(s, 300));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("queue_put_after_shutdown_escaping_a_thread_is_an_uncaught_exception") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Queue<int> q;
        q.shutdown();
        weft::Thread late([&] { q.put(1); });
        late.join();
      },
      with(Strategy::Random, 5)));
  CHECK(b.kind == BugKind::UncaughtException);
  CHECK(contains(b.message, "weft::QueueShutDown"));
  CHECK(contains(b.message, "in thread T1"));
}

TEST_CASE("queue_holds_move_only_elements_in_the_model") {
  const weft::Report r = weft::explore(
      [] {
        weft::Queue<std::unique_ptr<int>> q(1);
        weft::Thread producer([&] {
          for (int i = 1; i <= 3; ++i) q.put(std::make_unique<int>(i));
        });
        for (int i = 1; i <= 3; ++i) {
          std::unique_ptr<int> p = q.get();
          WEFT_ASSERT(p != nullptr && *p == i);
        }
        producer.join();
        WEFT_ASSERT(q.try_put(std::make_unique<int>(4)));
        WEFT_ASSERT(!q.try_put(std::make_unique<int>(5)));
        std::optional<std::unique_ptr<int>> got = q.get_for(1s);
        WEFT_ASSERT(got.has_value() && **got == 4);
      },
      with(Strategy::Random, 200));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("traces_of_move_only_queue_elements_show_no_addresses") {
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Queue<std::unique_ptr<int>> q(0, "ptrs");
    q.put(std::make_unique<int>(1));
    q.put(nullptr);
    (void)q.get();
    WEFT_ASSERT(q.get() != nullptr);
  }));
  CHECK(b.kind == BugKind::AssertionFailure);
  CHECK(contains(b.trace, "(pointer)"));
  CHECK(contains(b.trace, "null"));
  CHECK(!contains(b.trace, "0x"));
}

TEST_CASE("poison_pill_worker_pool_is_clean") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore([] { poison_pill_pool(3); }, with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("poison_pill_worker_pool_one_pill_short_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore([] { poison_pill_pool(2); }, with(Strategy::PCT)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "waits for Queue tasks"));
  CHECK(contains(b.message, "main waits to join"));
  CHECK(b.iteration == 1);  // every schedule deadlocks
  const weft::Report again = weft::replay([] { poison_pill_pool(2); }, b.schedule);
  REQUIRE_MESSAGE(again.bugs.size() == 1, again.summary());
  CHECK(again.bugs[0].kind == BugKind::Deadlock);
}

TEST_CASE("queue_exploration_is_deterministic") {
  const weft::Options o = with(Strategy::PCT, 200);
  const weft::Report a = weft::explore([] { poison_pill_pool(2); }, o);
  const weft::Report b = weft::explore([] { poison_pill_pool(2); }, o);
  CHECK(a.summary() == b.summary());
  const weft::Report c = weft::explore([] { poison_pill_pool(3); }, o);
  const weft::Report d = weft::explore([] { poison_pill_pool(3); }, o);
  CHECK(c.summary() == d.summary());
}

// ---------------------------------------------------------------------------------------------
// Wrong mode

TEST_CASE("production_queue_used_inside_explore_is_a_usage_error") {
  weft::Queue<int> q;
  q.put(1);
  const auto check = [](const weft::Report& r) {
    REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
    CHECK(r.bugs[0].kind == BugKind::UncaughtException);
    CHECK(contains(r.bugs[0].message, "weft::UsageError"));
    CHECK(contains(r.bugs[0].message, "weft::Queue used at"));
    CHECK(contains(r.bugs[0].message, "test_queue.cpp:"));
  };
  check(weft::explore([&] { q.put(2); }, with(Strategy::Random, 1)));
  check(weft::explore([&] { (void)q.get(); }, with(Strategy::Random, 1)));
  check(weft::explore([&] { (void)q.size(); }, with(Strategy::Random, 1)));
  check(weft::explore([&] { q.task_done(); }, with(Strategy::Random, 1)));
  check(weft::explore([&] { q.shutdown(); }, with(Strategy::Random, 1)));
  check(weft::explore(
      [&] {
        weft::Thread t([&] { (void)q.try_get(); });
        t.join();
      },
      with(Strategy::Random, 1)));
  // untouched, and still usable here
  CHECK(q.size() == 1);
  CHECK(q.get() == 1);
}

TEST_CASE("model_queue_used_after_explore_is_a_usage_error") {
  static std::unique_ptr<weft::Queue<int>> escaped;
  (void)weft::explore([] { escaped = std::make_unique<weft::Queue<int>>(); },
                      with(Strategy::Random, 1));
  CHECK_THROWS_AS(escaped->put(1), weft::UsageError);
  CHECK_THROWS_AS((void)escaped->try_get(), weft::UsageError);
  CHECK_THROWS_AS((void)escaped->empty(), weft::UsageError);
  escaped.reset();
}

TEST_SUITE_END();
