// SCTBench (Thomson, Donaldson and Betts, "Concurrency testing using controlled schedulers: an
// empirical study", PPoPP 2014 / TOPC 2016): its CS programs (small C programs from the
// concurrent-software verification literature, each with an assertion or a deadlock) and the
// CHESS work-stealing queue. Written fresh in weft's idiom from the programs' descriptions: the
// threads, the shared state and the bug are the published ones, the code is not. Where a
// program is marked "after", we had its name and its class of bug rather than its details, and
// the program is our own instance of that class.
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bugsuite.hpp"

namespace bugsuite {
namespace {

void join_all(std::vector<weft::Thread>& threads) {
  for (weft::Thread& t : threads) t.join();
}

// account (CS account_bad). A bank account under one lock: a deposit thread, a withdrawal
// thread, and a checker that, under the same lock, asserts the balance once the withdrawal is
// done. Bug (order violation): the checker assumes that a finished withdrawal implies a finished
// deposit, because the deposit thread was started first. When the withdrawal runs first and
// the checker runs between the two, the balance is 20, not 70. Expected: AssertionFailure.
void account(bool buggy) {
  weft::Mutex m("account lock");
  weft::Shared<int> balance(100, "balance");
  weft::Shared<bool> deposited(false, "deposited");
  weft::Shared<bool> withdrawn(false, "withdrawn");
  weft::Thread deposit([&] {
    std::lock_guard g(m);
    balance += 50;
    deposited.store(true);
  });
  weft::Thread withdraw([&] {
    std::lock_guard g(m);
    balance -= 80;
    withdrawn.store(true);
  });
  weft::Thread check([&] {
    std::lock_guard g(m);
    const bool both_done =
        buggy ? withdrawn.load() : deposited.load() && withdrawn.load();  // BUG when buggy
    if (both_done) {
      WEFT_ASSERT_MSG(balance.load() == 70, "balance " + std::to_string(balance.load()));
    }
  });
  deposit.join();
  withdraw.join();
  check.join();
}

// bluetooth_driver (CS bluetooth_driver_bad; Qadeer and Wu, KISS, PLDI 2004). A driver counts
// pending I/O (starting at 1 for the driver itself). A dispatch thread enters with
// io_increment() — refused once stoppingFlag is set — asserts the device is not stopped, and
// leaves with io_decrement(); the stopper sets stoppingFlag, drops the driver's own count, waits
// for the count to reach zero (stoppingEvent) and marks the device stopped. Bug (atomicity
// violation): io_increment tests the flag and increments the count in two steps, so the
// stopper can stop the device in between and the dispatch thread then works on a stopped
// device. Expected: AssertionFailure.
void bluetooth_driver(bool buggy) {
  weft::Atomic<int> pending_io(1, "pendingIo");
  weft::Atomic<bool> stopping_flag(false, "stoppingFlag");
  weft::Atomic<bool> stopped(false, "stopped");
  weft::Event stopping_event("stoppingEvent");
  weft::Mutex lock("device lock");  // the fix: the test and the increment under one lock
  auto io_increment = [&] {
    std::unique_lock g(lock, std::defer_lock);
    if (!buggy) g.lock();
    if (stopping_flag.load()) return false;
    pending_io.fetch_add(1);
    return true;
  };
  auto io_decrement = [&] {
    if (pending_io.fetch_sub(1) == 1) stopping_event.set();
  };
  weft::Thread dispatch([&] {
    if (!io_increment()) return;
    WEFT_ASSERT_MSG(!stopped.load(), "I/O dispatched to a stopped device");
    io_decrement();
  });
  weft::Thread stopper([&] {
    {
      std::unique_lock g(lock, std::defer_lock);
      if (!buggy) g.lock();
      stopping_flag.store(true);
    }
    io_decrement();
    stopping_event.wait();
    stopped.store(true);
  });
  dispatch.join();
  stopper.join();
}

// carter01 (after CS carter01_bad). Two groups of readers share a room: the first of a group to
// enter locks the room, the last to leave unlocks it, and a group's count is kept under a
// mutex. Bug: both groups count under the same mutex m and the first one in takes the room
// lock while holding m. When group A is inside, group B holds m while it waits for the room,
// and A cannot take m to leave: a deadlock (A: m then room, room then m; B: m then room). Fixed:
// each group counts under its own mutex. Expected: Deadlock (the lock-order graph predicts the
// cycle and a steered schedule witnesses it).
void carter01(bool buggy) {
  weft::Mutex m("m");
  weft::Mutex m_a("mA");
  weft::Mutex m_b("mB");
  weft::Mutex room("room");
  weft::Shared<int> count_a(0, "A");
  weft::Shared<int> count_b(0, "B");
  weft::Atomic<int> inside(0, "inside");
  auto group = [&](weft::Mutex& counter_lock, weft::Shared<int>& count) {
    {
      std::lock_guard g(counter_lock);
      count += 1;
      if (count.load() == 1) room.lock();  // the first one in locks the room
    }
    inside.fetch_add(1);
    inside.fetch_sub(1);
    {
      std::lock_guard g(counter_lock);
      count -= 1;
      if (count.load() == 0) room.unlock();  // the last one out unlocks it
    }
  };
  weft::Thread a([&] { group(buggy ? m : m_a, count_a); });
  weft::Thread b([&] { group(buggy ? m : m_b, count_b); });
  a.join();
  b.join();
}

// circular_buffer (after CS circular_buffer_bad). A producer sends 0, 1, 2, 3 through a ring of
// three slots whose head, tail and count are kept under a lock; the consumer checks it receives
// them in order. Bug: the producer reserves the slot (advances tail and count) inside the
// critical section but writes the value after leaving it, so the consumer can take the slot
// before it holds its value. Expected: AssertionFailure.
void circular_buffer(bool buggy) {
  constexpr int kSlots = 3;
  constexpr int kItems = 4;
  weft::Mutex m("buffer lock");
  int head = 0, tail = 0, count = 0;  // guarded by m
  std::deque<weft::Atomic<int>> slots;
  for (int i = 0; i < kSlots; ++i) slots.emplace_back(-1, "slot " + std::to_string(i));
  weft::Thread producer([&] {
    for (int v = 0; v < kItems; ++v) {
      int at = -1;
      while (at < 0) {
        {
          std::lock_guard g(m);
          if (count < kSlots) {
            at = tail;
            tail = (tail + 1) % kSlots;
            if (!buggy) slots[at].store(v);
            ++count;
          }
        }
        if (at < 0) weft::this_thread::yield();
      }
      if (buggy) slots[at].store(v);  // BUG: written after the slot was published
    }
  });
  weft::Thread consumer([&] {
    for (int expected = 0; expected < kItems; ++expected) {
      int v = -1;
      bool got = false;
      while (!got) {
        {
          std::lock_guard g(m);
          if (count > 0) {
            v = slots[head].load();
            head = (head + 1) % kSlots;
            --count;
            got = true;
          }
        }
        if (!got) weft::this_thread::yield();
      }
      WEFT_ASSERT_MSG(v == expected,
                      "received " + std::to_string(v) + ", expected " + std::to_string(expected));
    }
  });
  producer.join();
  consumer.join();
}

// deadlock01 (CS deadlock01_bad). Two threads, two locks taken in opposite orders: the classic
// ABBA deadlock. Fixed: one global order. Expected: Deadlock.
void deadlock01(bool buggy) {
  weft::Mutex a("a");
  weft::Mutex b("b");
  weft::Shared<int> counter(0, "counter");
  weft::Thread t1([&] {
    std::lock_guard ga(a);
    std::lock_guard gb(b);
    counter += 1;
  });
  weft::Thread t2([&] {
    weft::Mutex& first = buggy ? b : a;
    weft::Mutex& second = buggy ? a : b;
    std::lock_guard g1(first);
    std::lock_guard g2(second);
    counter += 1;
  });
  t1.join();
  t2.join();
}

// din_phil5 (Dijkstra's dining philosophers, as in CS's din_phil programs). Five philosophers,
// five forks; each takes the fork on the left, then the one on the right. When all hold their
// left fork, nobody gets a right one. Fixed: forks in a global order (the last philosopher
// takes the right one first). Expected: Deadlock.
void din_phil(bool buggy) {
  constexpr int kPhilosophers = 5;
  std::deque<weft::Mutex> forks;
  for (int i = 0; i < kPhilosophers; ++i) forks.emplace_back("fork " + std::to_string(i));
  weft::Atomic<int> meals(0, "meals");
  std::vector<weft::Thread> philosophers;
  for (int i = 0; i < kPhilosophers; ++i) {
    philosophers.emplace_back([&, i] {
      int first = i;
      int second = (i + 1) % kPhilosophers;
      if (!buggy && second < first) std::swap(first, second);
      std::lock_guard g1(forks[static_cast<std::size_t>(first)]);
      std::lock_guard g2(forks[static_cast<std::size_t>(second)]);
      meals.fetch_add(1);
    });
  }
  join_all(philosophers);
  WEFT_ASSERT(meals.load() == kPhilosophers);
}

// lazy01 (CS lazy01_bad). Three threads share `data` under one lock: the first adds 1, the second
// adds 2, the third asserts data < 3 — it assumes it cannot run after both others. Expected:
// AssertionFailure (when the checker runs last).
void lazy01() {
  weft::Mutex m("m");
  weft::Shared<int> data(0, "data");
  weft::Thread t1([&] {
    std::lock_guard g(m);
    data += 1;
  });
  weft::Thread t2([&] {
    std::lock_guard g(m);
    data += 2;
  });
  weft::Thread t3([&] {
    std::lock_guard g(m);
    WEFT_ASSERT_MSG(data.load() < 3, "the checker ran after both writers");
  });
  t1.join();
  t2.join();
  t3.join();
}

// queue (after CS queue_bad). A queue whose every operation takes its lock; two consumers each test
// "not empty" and then dequeue, in two critical sections, while one producer enqueues a single
// item. Bug (atomicity violation, check-then-act): both consumers can see the one item before
// either takes it, and the second dequeues from an empty queue. Fixed: test and dequeue in one
// critical section (try_dequeue). Expected: AssertionFailure.
void queue(bool buggy) {
  weft::Mutex m("queue lock");
  std::deque<int> items;  // guarded by m
  auto empty = [&] {
    std::lock_guard g(m);
    return items.empty();
  };
  auto dequeue = [&] {
    std::lock_guard g(m);
    WEFT_ASSERT_MSG(!items.empty(), "dequeue from an empty queue");
    const int v = items.front();
    items.pop_front();
    return v;
  };
  auto try_dequeue = [&] {
    std::lock_guard g(m);
    if (!items.empty()) items.pop_front();
  };
  weft::Thread producer([&] {
    std::lock_guard g(m);
    items.push_back(42);
  });
  auto consumer = [&] {
    if (!buggy) {
      try_dequeue();
    } else if (!empty()) {
      (void)dequeue();
    }
  };
  weft::Thread c1(consumer);
  weft::Thread c2(consumer);
  producer.join();
  c1.join();
  c2.join();
}

// reorder_N (CS reorder_N_bad). N-1 setter threads each write a = 1 and then b = -1; one
// checker thread, started last, reads a and then b and asserts it saw either neither write or
// both: (0, 0) or (1, -1). Bug: nothing makes the two writes (or the two reads) one step. The
// checker fails when it sees a setter's first write but not its second, or reads a before a
// setter's writes and b after them; either way it must run before any setter has finished,
// which is harder the more setters there are. Fixed: writes and reads under one lock. Expected:
// AssertionFailure.
void reorder(int threads, bool buggy) {
  weft::Atomic<int> a(0, "a");
  weft::Atomic<int> b(0, "b");
  weft::Mutex m("ab lock");
  std::vector<weft::Thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i + 1 < threads; ++i) {
    pool.emplace_back([&] {
      std::unique_lock g(m, std::defer_lock);
      if (!buggy) g.lock();
      a.store(1);
      b.store(-1);
    });
  }
  pool.emplace_back([&] {
    std::unique_lock g(m, std::defer_lock);
    if (!buggy) g.lock();
    const int x = a.load();
    const int y = b.load();
    WEFT_ASSERT_MSG((x == 0 && y == 0) || (x == 1 && y == -1),
                    "checker saw a = " + std::to_string(x) + ", b = " + std::to_string(y));
  });
  join_all(pool);
}

// stack (CS stack_bad). One thread pushes five values, another pops five, each operation under
// the stack's lock; the popper asserts each pop found a value. Bug (order violation): nothing
// keeps the popper behind the pusher. Fixed: the popper waits on a condition variable until the
// stack is not empty. Expected: AssertionFailure.
void stack(bool buggy) {
  constexpr int kValues = 5;
  weft::Mutex m("stack lock");
  weft::CondVar not_empty("not empty");
  std::vector<int> items;  // guarded by m
  weft::Thread pusher([&] {
    for (int i = 0; i < kValues; ++i) {
      {
        std::lock_guard g(m);
        items.push_back(i);
      }
      not_empty.notify_one();
    }
  });
  weft::Thread popper([&] {
    for (int i = 0; i < kValues; ++i) {
      std::unique_lock g(m);
      if (!buggy) not_empty.wait(g, [&] { return !items.empty(); });
      WEFT_ASSERT_MSG(!items.empty(), "pop from an empty stack");
      items.pop_back();
    }
  });
  pusher.join();
  popper.join();
}

// token_ring (after CS token_ring_bad). Four stations pass a token around a ring (`turn`);
// a station waits for the token, enters its critical section, passes the token to the next
// and leaves. Invariant: one station inside at a time. Bug: a station passes the token before
// it has left, so its successor can enter while it is still inside. Fixed: leave, then pass.
// Expected: AssertionFailure.
void token_ring(bool buggy) {
  constexpr int kStations = 4;
  weft::Atomic<int> turn(0, "turn");
  weft::Atomic<int> inside(0, "inside");
  std::vector<weft::Thread> stations;
  for (int i = 0; i < kStations; ++i) {
    stations.emplace_back([&, i] {
      while (turn.load() != i) weft::this_thread::yield();
      const int others = inside.fetch_add(1);
      WEFT_ASSERT_MSG(others == 0, "two stations hold the token");
      if (buggy) turn.store((i + 1) % kStations);  // BUG: passed while still inside
      inside.fetch_sub(1);
      if (!buggy) turn.store((i + 1) % kStations);
    });
  }
  join_all(stations);
}

// twostage_N (CS twostage_bad, twostage_100_bad; the "two-stage access" atomicity pattern).
// N-1 writers each set data1 = 1 under lock1 and then, in a second critical section, data2 =
// data1 + 1 under lock2; one reader, started last, reads data1 under lock1 and data2 under
// lock2 and asserts data2 == data1 + 1 (unless data1 is still 0). Bug: the writer's two stages
// are not one atomic step, so the reader can read between them — before any writer's second
// stage. Fixed: the writer holds lock1 across both stages and the reader holds it across both
// reads. Expected: AssertionFailure.
void twostage(int threads, bool buggy) {
  weft::Mutex lock1("data1Lock");
  weft::Mutex lock2("data2Lock");
  weft::Shared<int> data1(0, "data1Value");
  weft::Shared<int> data2(0, "data2Value");
  std::vector<weft::Thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i + 1 < threads; ++i) {
    pool.emplace_back([&] {
      std::unique_lock g1(lock1);
      data1.store(1);
      const int set = 1;  // the value just written (not re-read outside lock1)
      if (buggy) g1.unlock();
      std::lock_guard g2(lock2);
      data2.store(set + 1);
    });
  }
  pool.emplace_back([&] {
    std::unique_lock g1(lock1);
    if (data1.load() == 0) return;
    const int t1 = data1.load();
    if (buggy) g1.unlock();
    int t2 = 0;
    {
      std::lock_guard g2(lock2);
      t2 = data2.load();
    }
    WEFT_ASSERT_MSG(t2 == t1 + 1,
                    "read data1 = " + std::to_string(t1) + " but data2 = " + std::to_string(t2));
  });
  join_all(pool);
}

// wronglock, wronglock_3 (CS wronglock_bad, wronglock_3_bad). One thread, under dataLock,
// reads dataValue, increments it and asserts nobody changed it meanwhile; `incrementers` other
// threads increment dataValue too — but under another lock, thisLock. Bug: the wrong lock
// protects nothing. Fixed: everyone uses dataLock. Expected: AssertionFailure.
void wronglock(int incrementers, bool buggy) {
  weft::Mutex data_lock("dataLock");
  weft::Mutex this_lock("thisLock");
  weft::Atomic<int> data(0, "dataValue");
  std::vector<weft::Thread> pool;
  pool.emplace_back([&] {
    std::lock_guard g(data_lock);
    const int x = data.load();
    data.store(x + 1);
    WEFT_ASSERT_MSG(data.load() == x + 1, "dataValue changed under dataLock");
  });
  for (int i = 0; i < incrementers; ++i) {
    pool.emplace_back([&] {
      std::lock_guard g(buggy ? this_lock : data_lock);
      data.store(data.load() + 1);
    });
  }
  join_all(pool);
}

// work_stealing_queue (SCTBench's CHESS WorkStealQueue; the THE protocol of Cilk-5, Frigo,
// Leiserson and Randall, PLDI 1998). The owner pushes and takes at the tail without a lock; a
// thief steals at the head under the queue's lock. take() decrements tail and then reads head,
// steal() increments head and then reads tail, and a conflict on the last item is settled under
// the lock. Bug (a missing fence): without a store-load fence the owner's store to tail may
// become visible after its load of head — written out here as the load done first — so owner
// and thief can both take the last item. Fixed: the fenced order. Expected: AssertionFailure.
void work_stealing_queue(bool buggy) {
  constexpr int kItems = 2;
  weft::Atomic<int> head(0, "head");
  weft::Atomic<int> tail(0, "tail");
  std::deque<weft::Atomic<int>> items;
  std::deque<weft::Atomic<int>> taken;
  for (int i = 0; i < kItems; ++i) {
    items.emplace_back(-1, "item " + std::to_string(i));
    taken.emplace_back(0, "taken " + std::to_string(i));
  }
  weft::Mutex lock("queue lock");
  auto took = [&](int v) {
    const int before = taken[static_cast<std::size_t>(v)].fetch_add(1);
    WEFT_ASSERT_MSG(before == 0, "item " + std::to_string(v) + " taken twice");
  };
  auto push = [&](int v) {
    const int t = tail.load();
    items[static_cast<std::size_t>(t)].store(v);
    tail.store(t + 1);
  };
  auto take = [&]() -> int {
    const int t = tail.load() - 1;
    int h = 0;
    if (buggy) {
      h = head.load();  // BUG: the store to tail below becomes visible only after this load
      tail.store(t);
    } else {
      tail.store(t);
      h = head.load();
    }
    if (h <= t) return items[static_cast<std::size_t>(t)].load();
    // Empty, or a thief got there: restore tail and settle it under the lock.
    tail.store(t + 1);
    std::lock_guard g(lock);
    const int t2 = tail.load() - 1;
    tail.store(t2);
    if (head.load() <= t2) return items[static_cast<std::size_t>(t2)].load();
    tail.store(t2 + 1);
    return -1;
  };
  auto steal = [&]() -> int {
    std::lock_guard g(lock);
    const int h = head.load();
    head.store(h + 1);
    if (h + 1 <= tail.load()) return items[static_cast<std::size_t>(h)].load();
    head.store(h);
    return -1;
  };
  for (int v = 0; v < kItems; ++v) push(v);
  weft::Thread thief([&] {
    const int v = steal();
    if (v >= 0) took(v);
  });
  weft::Thread owner([&] {
    for (int i = 0; i < kItems; ++i) {
      const int v = take();
      if (v >= 0) took(v);
    }
  });
  thief.join();
  owner.join();
  int total = 0;
  for (weft::Atomic<int>& n : taken) total += n.load();
  WEFT_ASSERT_MSG(total == kItems,
                  std::to_string(total) + " items taken of " + std::to_string(kItems));
}

}  // namespace

std::vector<BugProgram> sctbench_programs() {
  constexpr const char* kCS = "SCTBench CS";
  using K = weft::BugKind;
  std::vector<BugProgram> p;
  p.push_back({"account", kCS, [] { account(true); }, K::AssertionFailure, [] { account(false); }});
  p.push_back({"bluetooth_driver", kCS, [] { bluetooth_driver(true); }, K::AssertionFailure,
               [] { bluetooth_driver(false); }});
  p.push_back({"carter01", kCS, [] { carter01(true); }, K::Deadlock, [] { carter01(false); }});
  p.push_back({"circular_buffer", kCS, [] { circular_buffer(true); }, K::AssertionFailure,
               [] { circular_buffer(false); }});
  p.push_back(
      {"deadlock01", kCS, [] { deadlock01(true); }, K::Deadlock, [] { deadlock01(false); }});
  p.push_back({"din_phil5", kCS, [] { din_phil(true); }, K::Deadlock, [] { din_phil(false); }});
  p.push_back({"lazy01", kCS, [] { lazy01(); }, K::AssertionFailure});
  p.push_back({"queue", kCS, [] { queue(true); }, K::AssertionFailure, [] { queue(false); }});
  struct Sized {
    const char* name;
    int threads;
  };
  for (const Sized s : {Sized{"reorder_3", 3}, Sized{"reorder_4", 4}, Sized{"reorder_5", 5},
                        Sized{"reorder_10", 10}, Sized{"reorder_20", 20}, Sized{"reorder_50", 50},
                        Sized{"reorder_100", 100}}) {
    const int n = s.threads;
    p.push_back(
        {s.name, kCS, [n] { reorder(n, true); }, K::AssertionFailure, [n] { reorder(n, false); }});
  }
  p.push_back({"stack", kCS, [] { stack(true); }, K::AssertionFailure, [] { stack(false); }});
  p.push_back({"token_ring", kCS, [] { token_ring(true); }, K::AssertionFailure,
               [] { token_ring(false); }});
  p.push_back({"twostage", kCS, [] { twostage(3, true); }, K::AssertionFailure,
               [] { twostage(3, false); }});
  for (const Sized s : {Sized{"twostage_10", 10}, Sized{"twostage_20", 20},
                        Sized{"twostage_50", 50}, Sized{"twostage_100", 100}}) {
    const int n = s.threads;
    p.push_back({s.name, kCS, [n] { twostage(n, true); }, K::AssertionFailure,
                 [n] { twostage(n, false); }});
  }
  p.push_back({"wronglock", kCS, [] { wronglock(7, true); }, K::AssertionFailure,
               [] { wronglock(7, false); }});
  p.push_back({"wronglock_3", kCS, [] { wronglock(3, true); }, K::AssertionFailure,
               [] { wronglock(3, false); }});
  p.push_back({"work_stealing_queue", "SCTBench CHESS", [] { work_stealing_queue(true); },
               K::AssertionFailure, [] { work_stealing_queue(false); }});
  return p;
}

}  // namespace bugsuite
