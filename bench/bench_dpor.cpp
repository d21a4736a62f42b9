// bench_dpor — Strategy::DFS on small bodies: how many schedules it runs to exhaust each (or
// that it did not within the cap), and in how long. The bodies are those of the DPOR tests
// (tests/unit/runtime/test_dpor.cpp), the examples' locked counter and bank, and a family of
// growing locked counters for "how big a body DFS exhausts in a minute".
// Usage: bench_dpor [cap_schedules [budget_s [scale]]]   (defaults: 200000 schedules, 60 s per
// body; `scale`: the growing bodies instead of the small ones)
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace {

// T threads, each `ops` fetch_adds on an Atomic<int> of its own.
void disjoint(int threads, int ops) {
  std::vector<std::unique_ptr<weft::Atomic<int>>> cells;
  for (int t = 0; t < threads; ++t) cells.push_back(std::make_unique<weft::Atomic<int>>(0));
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&cells, t, ops] {
      for (int i = 0; i < ops; ++i) cells[static_cast<std::size_t>(t)]->fetch_add(1);
    });
  }
  for (auto& w : workers) w.join();
}

// `writers` threads store into one Atomic<int>, `readers` threads load it once.
void writers_readers(int writers, int readers) {
  weft::Atomic<int> x(0);
  std::vector<weft::Thread> workers;
  for (int w = 0; w < writers; ++w) workers.emplace_back([&x, w] { x.store(w + 1); });
  for (int r = 0; r < readers; ++r) workers.emplace_back([&x] { (void)x.load(); });
  for (auto& w : workers) w.join();
}

// T threads, each `sections` times { lock; counter += 1; unlock } on one Mutex.
void locked_counter(int threads, int sections) {
  weft::Mutex m("m");
  weft::Shared<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < sections; ++i) {
        std::lock_guard g(m);
        counter += 1;
      }
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(counter.load() == threads * sections);
}

// examples/bank_transfer.cpp's transfers in lock order.
struct Account {
  Account(int id, int opening) : balance(opening, "balance"), id(id) {}
  weft::Mutex lock;
  weft::Shared<int> balance;
  int id;
};
void transfer(Account& from, Account& to, int amount) {
  Account& first = from.id < to.id ? from : to;
  Account& second = from.id < to.id ? to : from;
  std::lock_guard a(first.lock);
  std::lock_guard b(second.lock);
  if (from.balance.load() >= amount) {
    from.balance -= amount;
    to.balance += amount;
  }
}
void bank() {
  Account alice(1, 100), bob(2, 50), carol(3, 0);
  weft::Thread t1([&] { transfer(alice, bob, 30); });
  weft::Thread t2([&] { transfer(bob, alice, 20); });
  weft::Thread t3([&] { transfer(bob, carol, 10); });
  t1.join();
  t2.join();
  t3.join();
  WEFT_ASSERT(alice.balance.load() + bob.balance.load() + carol.balance.load() == 150);
}

// T threads, each `ops` fetch_adds on an Atomic<int> of its own, then one locked increment of a
// shared counter: T! orders of the sections, however many private operations.
void mostly_private(int threads, int ops) {
  weft::Mutex m("m");
  weft::Shared<int> counter(0, "counter");
  std::vector<std::unique_ptr<weft::Atomic<int>>> cells;
  for (int t = 0; t < threads; ++t) cells.push_back(std::make_unique<weft::Atomic<int>>(0));
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < ops; ++i) cells[static_cast<std::size_t>(t)]->fetch_add(1);
      std::lock_guard g(m);
      counter += 1;
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(counter.load() == threads);
}

struct Row {
  std::string name;
  std::function<void()> body;
  weft::SharedPoints points = weft::SharedPoints::Racy;
};

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t cap = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const double budget = argc > 2 ? std::strtod(argv[2], nullptr) : 60;
  const bool scale = argc > 3 && std::string(argv[3]) == "scale";
  std::vector<Row> rows = {
      {"disjoint 3 threads x 4 fetch_add", [] { disjoint(3, 4); }},
      {"1 writer + 2 readers", [] { writers_readers(1, 2); }},
      {"1 writer + 3 readers", [] { writers_readers(1, 3); }},
      {"1 writer + 4 readers", [] { writers_readers(1, 4); }},
      {"2 writers + 1 reader", [] { writers_readers(2, 1); }},
      {"3 threads x 1 locked section", [] { locked_counter(3, 1); }},
      {"3 threads x 1 locked section, SharedPoints::All", [] { locked_counter(3, 1); },
       weft::SharedPoints::All},
      {"locked counter 2 x 2", [] { locked_counter(2, 2); }},
      {"locked counter 3 x 3 (example)", [] { locked_counter(3, 3); }},
      {"locked counter 3 x 3, SharedPoints::All", [] { locked_counter(3, 3); },
       weft::SharedPoints::All},
      {"bank, ordered transfers (example)", bank},
      {"locked counter 2 x 8", [] { locked_counter(2, 8); }},
      {"locked counter 3 x 4", [] { locked_counter(3, 4); }},
      {"locked counter 4 x 3", [] { locked_counter(4, 3); }},
      {"disjoint 8 threads x 100 fetch_add", [] { disjoint(8, 100); }},
  };
  if (scale) {
    rows.clear();
    for (const auto& [t, n] : std::vector<std::pair<int, int>>{
             {2, 10}, {2, 11}, {2, 12}, {3, 5}, {4, 3}, {3, 6}, {5, 2}}) {
      rows.push_back({"locked counter " + std::to_string(t) + " x " + std::to_string(n),
                      [t, n] { locked_counter(t, n); }});
    }
    for (const auto& [t, n] : std::vector<std::pair<int, int>>{
             {6, 100}, {7, 100}, {8, 100}, {9, 100}, {6, 1000}, {7, 1000}, {8, 1000}}) {
      rows.push_back({std::to_string(t) + " threads x " + std::to_string(n) +
                          " private fetch_add + 1 locked section",
                      [t, n] { mostly_private(t, n); }});
    }
  }
  std::printf("| body | schedules | exhausted | seconds |\n|---|--:|:-:|--:|\n");
  for (const Row& row : rows) {
    weft::Options o;
    o.strategy = weft::Strategy::DFS;
    o.iterations = cap;
    o.time_budget_s = budget;
    o.shared_points = row.points;
    weft::Report r;
    const double s = bench::seconds([&] { r = weft::explore(row.body, o); });
    std::printf("| %s | %llu | %s | %.2f |%s\n", row.name.c_str(),
                static_cast<unsigned long long>(r.iterations), r.exhausted ? "yes" : "no", s,
                r.ok() ? "" : " (bug found)");
    std::fflush(stdout);
  }
}
