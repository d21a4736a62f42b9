// The seed's Condition: consumers wait until the producer has made the data ready, with
// wait_for(lambda: data_ready) — here CondVar::wait with a predicate.
#include <mutex>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

WEFT_SCENARIO("seed: condition producer and consumers") {
  weft::Mutex m("condition lock");
  weft::CondVar condition("condition");
  bool data_ready = false;  // guarded by m
  weft::Atomic<int> served(0, "served");
  auto consumer = [&] {
    std::unique_lock lock(m);
    condition.wait(lock, [&] { return data_ready; });
    served.fetch_add(1);
  };
  weft::Thread c1(consumer), c2(consumer);
  weft::Thread producer([&] {
    std::lock_guard lock(m);
    data_ready = true;
    condition.notify_all();  // wake up consumers
  });
  producer.join();
  c1.join();
  c2.join();
  WEFT_ASSERT(served.load() == 2);
}
