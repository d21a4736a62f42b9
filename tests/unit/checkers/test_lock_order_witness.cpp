// A predicted lock-order cycle is backed by a witness only when a steered schedule deadlocks on
// that very cycle, and the report says where the witness is.
#include <doctest/doctest.h>

#include <mutex>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("checkers/lock_order_witness");

using namespace weft_test;

namespace {

// A -> B -> C -> A over three threads, and a fourth thread whose B -> A makes a two-lock
// cycle with the first: a schedule steered toward the three-lock cycle may deadlock on the
// two-lock one instead.
void three_lock_cycle_beside_a_two_lock_one() {
  weft::Mutex a("A");
  weft::Mutex b("B");
  weft::Mutex c("C");
  auto in_order = [](weft::Mutex& first, weft::Mutex& second) {
    std::lock_guard g1(first);
    std::lock_guard g2(second);
  };
  weft::Thread t1([&] { in_order(a, b); });
  weft::Thread t2([&] { in_order(b, c); });
  weft::Thread t3([&] { in_order(c, a); });
  weft::Thread t4([&] { in_order(b, a); });
  t1.join();
  t2.join();
  t3.join();
  t4.join();
}

}  // namespace

TEST_CASE("a_witness_deadlocks_on_the_locks_of_its_cycle_and_is_the_next_bug") {
  weft::Options o;
  o.stop_on_first_bug = false;
  o.iterations = 200;
  const weft::Report r = weft::explore(three_lock_cycle_beside_a_two_lock_one, o);
  bool checked_one = false;
  for (std::size_t i = 0; i < r.bugs.size(); ++i) {
    const weft::Bug& b = r.bugs[i];
    if (b.kind != weft::BugKind::LockOrderInversion) continue;
    if (contains(b.trace, "it is the next bug")) {
      REQUIRE_MESSAGE(i + 1 < r.bugs.size(), r.summary());
      const weft::Bug& witness = r.bugs[i + 1];
      CHECK(witness.kind == weft::BugKind::Deadlock);
      // Every lock the cycle names is in the deadlock.
      for (const std::string lock : {"A", "B", "C"}) {
        if (contains(b.message, "holds " + lock + " (")) {
          CHECK_MESSAGE(contains(witness.message, "Mutex " + lock),
                        (b.message + "\n" + witness.message));
        }
      }
      checked_one = true;
    }
  }
  CHECK_MESSAGE(checked_one, r.summary());
}

TEST_SUITE_END();
