// Shared test programs.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <weft/weft.hpp>

namespace weft_test {

// The seed's lost update: `counter += 1` from several threads without a lock.
inline void lost_update(int threads = 2, int increments = 1) {
  weft::Shared<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < increments; ++i) counter += 1;
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(counter.load() == threads * increments);
}

inline void locked_counter(int threads = 3, int increments = 3) {
  weft::Mutex m("m");
  weft::Shared<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < increments; ++i) {
        std::lock_guard g(m);
        counter += 1;
      }
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(counter.load() == threads * increments);
}

inline void abba() {
  weft::Mutex a("lock_a"), b("lock_b");
  weft::Thread t1([&] {
    std::lock_guard ga(a);
    std::lock_guard gb(b);
  });
  weft::Thread t2([&] {
    std::lock_guard gb(b);
    std::lock_guard ga(a);
  });
  t1.join();
  t2.join();
}

inline weft::Options with(weft::Strategy s, std::uint64_t iterations = 1000) {
  weft::Options o;
  o.strategy = s;
  o.iterations = iterations;
  return o;
}

// Strategies alone, without the race and lock-order checkers: the failure must come from an
// interleaving that really happens.
inline weft::Options strategy_only(weft::Strategy s, std::uint64_t iterations = 1000) {
  weft::Options o = with(s, iterations);
  o.checkers = false;
  return o;
}

#ifdef DOCTEST_LIBRARY_INCLUDED  // helpers for test cases (the scenario binaries have none)
// The report's only bug (fails the test case otherwise).
inline weft::Bug only_bug(const weft::Report& r) {
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  return r.bugs[0];
}
#endif

// Virtual time since the start of the execution.
inline std::chrono::nanoseconds virtual_elapsed() { return weft::Clock::now().time_since_epoch(); }

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A consumer that waits with `if` (or `while`) around CondVar::wait.
inline void condvar_consumer(bool use_while) {
  weft::Mutex m("m");
  weft::CondVar cv("cv");
  bool ready = false;
  weft::Thread consumer([&] {
    std::unique_lock lock(m);
    if (use_while) {
      while (!ready) cv.wait(lock);
    } else {
      if (!ready) cv.wait(lock);  // the bug: a spurious wake-up gets past the check
    }
    WEFT_ASSERT_MSG(ready, "woke up without the data");
  });
  weft::Thread producer([&] {
    std::lock_guard g(m);
    ready = true;
    cv.notify_one();
  });
  consumer.join();
  producer.join();
}

}  // namespace weft_test
