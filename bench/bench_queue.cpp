// bench_queue — weft::Queue<long> outside explore() (production mode), producer -> consumer
// throughput against the queue anyone would write by hand (std::deque + std::mutex +
// std::condition_variable) and, for information, moodycamel::BlockingConcurrentQueue (lock-free,
// with a semaphore for blocking). Target: weft >= plain / 1.5 in items per second.
//
// One producer thread puts 1, 2, ..., N; one consumer thread gets N items. Scenarios: unbounded,
// and bounded to 1024 items (weft and the plain queue only: moodycamel's blocking queue has no
// bound, so it appears in the unbounded scenario only). The consumer checks that item k is k
// (single producer, FIFO), which with the count means every item arrived exactly once, in
// order; the sum is checked as well. Wall time runs from a common start signal to both joins.
//
// Interleaved rounds; ratios are medians of per-round ratios; see docs/BENCHMARKS.md.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <weft/weft.hpp>
#if WEFT_BENCH_MOODYCAMEL
#include <concurrentqueue/blockingconcurrentqueue.h>
#endif

#include "bench_common.hpp"

namespace {

// The obvious hand-written blocking queue: one mutex, two condition variables, notify after
// every put and get (no waiter counting).
template <class T>
class PlainQueue {
 public:
  explicit PlainQueue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  void put(T item) {
    std::unique_lock lock(m_);
    not_full_.wait(lock, [&] { return maxsize_ == 0 || items_.size() < maxsize_; });
    items_.push_back(std::move(item));
    lock.unlock();
    not_empty_.notify_one();
  }
  T get() {
    std::unique_lock lock(m_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    T item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

 private:
  std::size_t maxsize_;
  std::deque<T> items_;
  std::mutex m_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
};

// The same put/get interface over the three queues.
struct WeftQ {
  explicit WeftQ(std::size_t maxsize) : q(maxsize) {}
  void put(long v) { q.put(v); }
  long get() { return q.get(); }
  weft::Queue<long> q;
};
struct PlainQ {
  explicit PlainQ(std::size_t maxsize) : q(maxsize) {}
  void put(long v) { q.put(v); }
  long get() { return q.get(); }
  PlainQueue<long> q;
};
#if WEFT_BENCH_MOODYCAMEL
struct MoodyQ {
  explicit MoodyQ(std::size_t maxsize) {
    if (maxsize != 0) bench::die("moodycamel::BlockingConcurrentQueue has no bound");
  }
  void put(long v) {
    if (!q.enqueue(v)) bench::die("moodycamel enqueue failed");
  }
  long get() {
    long v = 0;
    q.wait_dequeue(v);
    return v;
  }
  moodycamel::BlockingConcurrentQueue<long> q;
};
#endif

struct Round {
  double items_per_s;
  double parallelism;  // process CPU time / wall time: ~2 = both threads ran at once
};

// One producer puts 1..n, one consumer gets n items; checks count, order and sum.
template <class Q>
Round transfer(long n, std::size_t maxsize) {
  Q q(maxsize);
  alignas(64) std::atomic<int> ready{0};
  alignas(64) std::atomic<bool> go{false};
  long out_of_order = 0, sum = 0;
  auto wait_for_go = [&] {
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) {
    }
  };
  std::thread producer([&] {
    wait_for_go();
    for (long i = 1; i <= n; ++i) q.put(i);
  });
  std::thread consumer([&] {
    wait_for_go();
    long bad = 0, s = 0;
    for (long i = 1; i <= n; ++i) {
      const long v = q.get();
      bad += v != i;
      s += v;
    }
    out_of_order = bad;
    sum = s;
  });
  while (ready.load() < 2) std::this_thread::yield();
  const double cpu0 = bench::process_cpu_seconds();
  const auto t0 = bench::Clock::now();
  go.store(true, std::memory_order_release);
  producer.join();
  consumer.join();
  const auto t1 = bench::Clock::now();
  const double cpu = bench::process_cpu_seconds() - cpu0;
  if (out_of_order != 0) bench::die(std::to_string(out_of_order) + " items out of order");
  if (sum != n * (n + 1) / 2) bench::die("item sum wrong: an item was lost or duplicated");
  const double wall = std::chrono::duration<double>(t1 - t0).count();
  return {static_cast<double>(n) / wall, cpu / wall};
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 15));
  const long n = static_cast<long>(bench::arg(argc, argv, "--items", 1'000'000));
  const auto bound = static_cast<std::size_t>(bench::arg(argc, argv, "--maxsize", 1024));
  std::printf(
      "bench_queue: 1 producer -> 1 consumer, production mode (medians of %d interleaved "
      "rounds)\n",
      rounds);
  bench::print_machine();
  std::thread([] {}).join();  // glibc's multi-threaded mutex path from the start, for every row

  struct Row {
    std::string scenario;
    const char* queue;
    Round (*run)(long, std::size_t);
    std::size_t maxsize;
    std::vector<double> parallelism;
  };
  const std::string bounded = "maxsize " + std::to_string(bound);
  std::vector<Row> rows = {
    {"unbounded", "weft::Queue<long>", transfer<WeftQ>, 0, {}},
    {"unbounded", "deque+mutex+condvar", transfer<PlainQ>, 0, {}},
    {bounded, "weft::Queue<long>", transfer<WeftQ>, bound, {}},
    {bounded, "deque+mutex+condvar", transfer<PlainQ>, bound, {}},
#if WEFT_BENCH_MOODYCAMEL
    {"unbounded", "moodycamel::BlockingConcurrentQueue", transfer<MoodyQ>, 0, {}},
#endif
  };
  std::vector<bench::Variant> vs;
  for (Row& row : rows) {
    vs.push_back({row.scenario + ", " + row.queue, [&row, n] {
                    const Round r = row.run(n, row.maxsize);
                    row.parallelism.push_back(r.parallelism);
                    return r.items_per_s;
                  }});
  }
  bench::interleave(vs, rounds);

  std::printf("\n%s items per round per variant, %d rounds; items/s = items / wall time\n\n",
              bench::fmt_int(static_cast<double>(n)).c_str(), rounds);
  bench::Table t({"scenario, queue", "M items/s median", "min", "max", "ns/item median",
                  "parallelism median"});
  for (std::size_t i = 0; i < vs.size(); ++i) {
    std::vector<double> par(rows[i].parallelism.begin() + 1, rows[i].parallelism.end());
    const double med = bench::median(vs[i].results);
    t.add({vs[i].name, bench::fmt(med / 1e6, 2), bench::fmt(bench::min_of(vs[i].results) / 1e6, 2),
           bench::fmt(bench::max_of(vs[i].results) / 1e6, 2), bench::fmt(1e9 / med),
           bench::fmt(bench::median(par), 2)});
  }
  t.print();

  std::printf(
      "\nratio of items/s (target: weft / plain >= 0.67, i.e. weft within 1.5x of the plain "
      "queue;\nweft / moodycamel for information)\n\n");
  bench::Table r(
      {"ratio", "median of per-round ratios", "min", "max", "ratio of medians", "target met?"});
  struct Pair {
    std::size_t a, b;
    std::string name;
    bool target;
  };
  std::vector<Pair> pairs = {{0, 1, "unbounded: weft / plain", true},
                             {2, 3, bounded + ": weft / plain", true}};
  if (vs.size() > 4) pairs.push_back({0, 4, "unbounded: weft / moodycamel", false});
  for (const Pair& p : pairs) {
    const std::vector<double> q = bench::ratios(vs[p.a].results, vs[p.b].results);
    const double med = bench::median(q);
    r.add({p.name, bench::fmt(med, 2), bench::fmt(bench::min_of(q), 2),
           bench::fmt(bench::max_of(q), 2),
           bench::fmt(bench::median(vs[p.a].results) / bench::median(vs[p.b].results), 2),
           !p.target          ? "-"
           : med >= 1.0 / 1.5 ? "yes"
                              : "NO"});
  }
  r.print();
  bench::print_load("at end");
  return 0;
}
