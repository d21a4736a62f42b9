// The seed's deadlock prevention by timeouts: each thread holds one lock and tries the other
// with a timeout; when it cannot get it, it backs off (releases what it holds) and retries.
// The opposite lock orders would deadlock with plain lock(); with the timeout, never.
#include <chrono>
#include <mutex>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

using namespace std::chrono_literals;

namespace {

// Returns once both locks were held together.
void take_both(weft::Mutex& first, weft::Mutex& second, weft::Atomic<int>& done) {
  for (;;) {
    std::unique_lock a(first);
    weft::this_thread::sleep_for(100ms);
    std::unique_lock b(second, 2s);  // lock_b.acquire(timeout=2.0)
    if (b.owns_lock()) {
      done.fetch_add(1);
      return;
    }
    a.unlock();  // couldn't get it: back off, then retry
    weft::this_thread::sleep_for(50ms);
  }
}

}  // namespace

WEFT_SCENARIO("seed: lock timeout back-off never deadlocks") {
  weft::Mutex lock_a("lock_a"), lock_b("lock_b");
  weft::Atomic<int> done(0, "done");
  weft::Thread t1([&] { take_both(lock_a, lock_b, done); });
  weft::Thread t2([&] { take_both(lock_b, lock_a, done); });
  t1.join();
  t2.join();
  WEFT_ASSERT(done.load() == 2);
}
