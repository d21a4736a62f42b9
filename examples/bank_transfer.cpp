// A bank: accounts with their own locks, and transfers between them. The naive transfer locks
// the source then the destination, which deadlocks when two transfers go opposite ways; the
// correct one locks both in a global order (std::scoped_lock would too). Money is conserved.
#include <array>
#include <mutex>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

namespace {

struct Account {
  explicit Account(int id, int opening)
      : lock("account " + std::to_string(id) + " lock"),
        balance(opening, "account " + std::to_string(id)),
        id(id) {}
  weft::Mutex lock;
  weft::Shared<int> balance;
  int id;
};

void transfer_naive(Account& from, Account& to, int amount) {
  std::lock_guard a(from.lock);
  std::lock_guard b(to.lock);
  if (from.balance.load() >= amount) {
    from.balance -= amount;
    to.balance += amount;
  }
}

void transfer_ordered(Account& from, Account& to, int amount) {
  Account& first = from.id < to.id ? from : to;
  Account& second = from.id < to.id ? to : from;
  std::lock_guard a(first.lock);
  std::lock_guard b(second.lock);
  if (from.balance.load() >= amount) {
    from.balance -= amount;
    to.balance += amount;
  }
}

template <class Transfer>
void run_bank(Transfer transfer) {
  Account alice(1, 100), bob(2, 50), carol(3, 0);
  weft::Thread t1([&] { transfer(alice, bob, 30); });
  weft::Thread t2([&] { transfer(bob, alice, 20); });
  weft::Thread t3([&] { transfer(bob, carol, 10); });
  t1.join();
  t2.join();
  t3.join();
  const int total = alice.balance.load() + bob.balance.load() + carol.balance.load();
  WEFT_ASSERT_MSG(total == 150, "money was created or destroyed: total " + std::to_string(total));
}

}  // namespace

WEFT_SCENARIO("bank: transfers in lock order keep the total") { run_bank(transfer_ordered); }
WEFT_SCENARIO("bank: naive transfers deadlock") { run_bank(transfer_naive); }
