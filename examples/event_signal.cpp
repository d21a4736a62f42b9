// The seed's Event: a waiter blocks until a signaler, after a second's sleep, sets the event.
// Explored, the second costs nothing: virtual time jumps straight to it.
#include <chrono>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

using namespace std::chrono_literals;

WEFT_SCENARIO("seed: event waiter and signaler") {
  weft::Event event("signal");
  weft::Atomic<bool> got_signal(false, "got_signal");
  weft::Thread waiter([&] {
    event.wait();  // blocks until the event is set
    got_signal.store(true);
  });
  weft::Thread signaler([&] {
    weft::this_thread::sleep_for(1s);
    event.set();  // wakes every waiter
  });
  waiter.join();
  signaler.join();
  WEFT_ASSERT(got_signal.load());
}
