// The seed's ABBA deadlock: thread 1 takes lock_a then lock_b, thread 2 takes lock_b then
// lock_a. The sleeps make it likely for real; exploration finds it whatever the timing, and
// the fix (one global order) is explored too.
#include <chrono>
#include <mutex>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

using namespace std::chrono_literals;

namespace {

void two_locks(bool same_order) {
  weft::Mutex lock_a("lock_a");
  weft::Mutex lock_b("lock_b");
  weft::Thread t1([&] {
    std::lock_guard a(lock_a);
    weft::this_thread::sleep_for(100ms);  // gives thread 2 time to take lock_b
    std::lock_guard b(lock_b);
  });
  weft::Thread t2([&] {
    weft::Mutex& first = same_order ? lock_a : lock_b;
    weft::Mutex& second = same_order ? lock_b : lock_a;
    std::lock_guard x(first);
    weft::this_thread::sleep_for(100ms);
    std::lock_guard y(second);
  });
  t1.join();
  t2.join();
}

}  // namespace

WEFT_SCENARIO("seed: ABBA deadlock") { two_locks(false); }
WEFT_SCENARIO("seed: ABBA fixed by one lock order") { two_locks(true); }
