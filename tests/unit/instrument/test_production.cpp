// Production mode: the same types as real primitives on real threads.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("instrument/production");

using namespace std::chrono_literals;

TEST_CASE("production_mutex_gives_exact_counts_on_real_threads") {
  weft::Mutex m;
  long counter = 0;
  std::vector<weft::Thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) {
        std::lock_guard g(m);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(counter == 200000);
}

TEST_CASE("production_atomic_and_recursive_mutex_work") {
  weft::Atomic<long> n(0);
  weft::RecursiveMutex r;
  std::vector<weft::Thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) n.fetch_add(1);
      std::lock_guard a(r);
      std::lock_guard b(r);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(n.load() == 80000);
  long expected = 80000;
  CHECK(n.compare_exchange_strong(expected, 1));
  CHECK(n.exchange(5) == 1);
}

TEST_CASE("production_condvar_handoff_and_timeouts") {
  weft::Mutex m;
  weft::CondVar cv;
  int slot = 0;
  weft::Thread producer([&] {
    std::lock_guard g(m);
    slot = 7;
    cv.notify_one();
  });
  {
    std::unique_lock lock(m);
    CHECK(cv.wait_for(lock, 10s, [&] { return slot == 7; }));
    CHECK_FALSE(cv.wait_for(lock, 1ms));
  }
  producer.join();
  CHECK_FALSE(producer.joinable());
  CHECK_THROWS_AS(producer.join(), std::system_error);
}

TEST_CASE("production_try_lock_for_times_out_for_real") {
  weft::Mutex m;
  m.lock();
  bool got = true;
  weft::Thread t([&] { got = m.try_lock_for(20ms); });
  t.join();
  CHECK_FALSE(got);
  m.unlock();
  const auto t0 = weft::Clock::now();
  weft::this_thread::sleep_for(5ms);
  CHECK(weft::Clock::now() - t0 >= 5ms);
  CHECK_FALSE(weft::exploring());
}

TEST_CASE("production_shared_is_a_plain_variable") {
  weft::Shared<int> x(1);
  x += 2;
  ++x;
  CHECK(x.load() == 4);
  CHECK(static_cast<int>(x) == 4);
  CHECK(x++ == 4);
  CHECK(x.load() == 5);
}

TEST_CASE("production_weft_assert_aborts_with_a_message") {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGABRT, SIG_DFL);  // doctest's crash handler would report the child as a test
    ::close(2);                  // keep the test log clean
    WEFT_ASSERT_MSG(1 == 2, "boom");
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}

TEST_CASE("production_objects_used_in_the_model_are_usage_errors") {
  weft::Atomic<int> a(0);
  weft::CondVar cv;
  const weft::Report r = weft::explore([&] { a.store(1); });
  REQUIRE(r.bugs.size() == 1);
  CHECK(weft_test::contains(r.bugs[0].message, "weft::Atomic used at"));
  const weft::Report r2 = weft::explore([&] { cv.notify_all(); });
  REQUIRE(r2.bugs.size() == 1);
  CHECK(weft_test::contains(r2.bugs[0].message, "weft::UsageError"));
}

TEST_SUITE_END();
