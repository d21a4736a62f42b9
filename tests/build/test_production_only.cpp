// Built with WEFT_PRODUCTION_ONLY: the types are the real primitives and nothing else.
#include <doctest/doctest.h>

#include <mutex>
#include <vector>

#include <weft/weft.hpp>

#ifndef WEFT_PRODUCTION_ONLY
#error "this test must be compiled with WEFT_PRODUCTION_ONLY"
#endif

TEST_SUITE_BEGIN("build/production_only");

static_assert(weft::detail::current() == nullptr, "the model is compiled out");

TEST_CASE("production_only_build_runs_real_threads") {
  weft::Mutex m;
  weft::Shared<long> counter(0);
  weft::Atomic<long> atomic(0);
  std::vector<weft::Thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        std::lock_guard g(m);
        counter += 1;
        atomic.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(counter.load() == 40000);
  CHECK(atomic.load() == 40000);
  CHECK_FALSE(weft::exploring());
}

TEST_CASE("production_only_build_refuses_to_explore") {
  CHECK_THROWS_AS(weft::explore([] {}), weft::UsageError);
}

// The ipc types' constructors are templates: instantiated here, so that this build compiles
// their production-only paths too (a parameter used only by the model must not warn).
TEST_CASE("production_only_ipc_objects_are_the_real_thing") {
  weft::ipc::Value<long> value(5, "value");
  {
    std::lock_guard g(value.get_lock());
    value.store(value.load() + 1);
  }
  CHECK(value.load() == 6);
  weft::ipc::Array<int> array(std::vector<int>{1, 2, 3}, "array");
  array.store(1, 20);
  CHECK(array.load(1) == 20);
  CHECK(array.size() == 3);
  weft::ipc::Queue<int> queue(0, 4096, "queue");
  queue.put(7);
  CHECK(queue.get() == 7);
}

TEST_SUITE_END();
