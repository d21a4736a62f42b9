// A producer hands values to a consumer through a one-slot mailbox guarded by a Mutex and a
// CondVar, waiting with a predicate (the seed's Condition.wait_for(lambda: data_ready)).
#include <mutex>
#include <optional>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

namespace {

void handoff(int items) {
  weft::Mutex m("mailbox lock");
  weft::CondVar changed("mailbox changed");
  std::optional<int> slot;  // guarded by m
  int received_sum = 0;
  weft::Thread producer([&] {
    for (int i = 1; i <= items; ++i) {
      std::unique_lock lock(m);
      changed.wait(lock, [&] { return !slot.has_value(); });
      slot = i;
      changed.notify_all();
    }
  });
  weft::Thread consumer([&] {
    for (int i = 1; i <= items; ++i) {
      std::unique_lock lock(m);
      changed.wait(lock, [&] { return slot.has_value(); });
      WEFT_ASSERT(*slot == i);  // in order, none lost
      received_sum += *slot;
      slot.reset();
      changed.notify_all();
    }
  });
  producer.join();
  consumer.join();
  WEFT_ASSERT(received_sum == items * (items + 1) / 2);
}

}  // namespace

WEFT_SCENARIO("handoff through a mutex and a condvar") { handoff(3); }
