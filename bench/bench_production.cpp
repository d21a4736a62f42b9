// bench_production — what weft's types cost outside explore(), where they are the real
// primitives: weft::Mutex against std::mutex (and std::timed_mutex, which weft::Mutex wraps),
// weft::Atomic<long>::fetch_add against std::atomic<long>::fetch_add on one thread and on two
// threads hammering the same object. Target: weft within 5% of std (ratio <= 1.05). Part 4 (not
// in the default run) has two threads contend for one mutex.
//
// Interleaved rounds; the reported ratio is the median of per-round ratios (A and B of a round
// ran back to back). Every object's address escapes, so the compiler cannot keep its state in
// registers across iterations, as it could not in real code either.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace {

// The object under test at a fixed place in a cache line (`Offset` bytes into a 64-byte aligned
// block), so that results do not depend on where ASLR happened to put a stack variable: with two
// threads, which fields share the hammered cache line decides the result.
template <class T, std::size_t Offset = 0>
struct alignas(64) Placed {
  explicit Placed(long v) : value(v) {}
  char pad[Offset];
  T value;
};
template <class T>
struct alignas(64) Placed<T, 0> {
  Placed() = default;
  explicit Placed(long v) : value(v) {}
  T value;
};

// weft::Atomic<long> is {execution pointer, object id, std::atomic<long>} (24 bytes): at offset 48
// in a line, the first two end the line and the value starts the next one.
static_assert(sizeof(weft::Atomic<long>) == 24, "layout assumed by the split-line variant");
constexpr std::size_t kSplit = 48;

template <class M>
double lock_unlock_ns(long n) {
  M m;
  bench::keep(&m);
  const double s = bench::seconds([&] {
    for (long i = 0; i < n; ++i) {
      m.lock();
      m.unlock();
    }
  });
  return s * 1e9 / static_cast<double>(n);
}

template <class M>
double lock_guard_ns(long n) {
  M m;
  bench::keep(&m);
  const double s = bench::seconds([&] {
    for (long i = 0; i < n; ++i) {
      std::lock_guard<M> g(m);
    }
  });
  return s * 1e9 / static_cast<double>(n);
}

template <class A>
double fetch_add_ns(long n) {
  Placed<A> p(0L);
  A& a = p.value;
  bench::keep(&a);
  const double s = bench::seconds([&] {
    for (long i = 0; i < n; ++i) a.fetch_add(1);
  });
  if (a.load() != n) bench::die("fetch_add lost increments");
  return s * 1e9 / static_cast<double>(n);
}

// Two OS threads, each running op() n times; wall time from a common start signal to the last
// join, per operation (2n of them).
// `parallelism` receives CPU time / wall time of the timed part: about 2 when both threads really
// ran at once, about 1 when the machine ran them one after the other (a busy shared VM).
template <class Op>
double two_threads_ns(long n, const Op& op, std::vector<double>& parallelism) {
  alignas(64) std::atomic<int> ready{0};
  alignas(64) std::atomic<bool> go{false};
  auto work = [&] {
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) {
    }
    for (long i = 0; i < n; ++i) op();
  };
  std::thread t1(work), t2(work);
  while (ready.load() < 2) std::this_thread::yield();
  const double cpu0 = bench::process_cpu_seconds();
  const auto t0 = bench::Clock::now();
  go.store(true, std::memory_order_release);
  t1.join();
  t2.join();
  const auto t_end = bench::Clock::now();
  const double cpu = bench::process_cpu_seconds() - cpu0;
  const double wall_ns = std::chrono::duration<double, std::nano>(t_end - t0).count();
  parallelism.push_back(cpu * 1e9 / wall_ns);
  return wall_ns / static_cast<double>(2 * n);
}

// Two threads, n fetch_adds each, on the same object.
template <class A, std::size_t Offset = 0>
double fetch_add_2t_ns(long n, std::vector<double>& parallelism) {
  Placed<A, Offset> p(0L);
  A& a = p.value;
  bench::keep(&a);
  const double ns = two_threads_ns(
      n, [&a] { a.fetch_add(1); }, parallelism);
  if (a.load() != 2 * n) bench::die("2-thread fetch_add lost increments");
  return ns;
}

// Two threads, n {lock; ++counter; unlock; a little work} each, on the same mutex (the counter on
// a line of its own). Without the work outside the lock, the thread that just unlocked takes the
// lock again before the other one wakes, and the threads run one after the other.
template <class M>
double lock_2t_ns(long n, long outside, std::vector<double>& parallelism) {
  Placed<M> p;
  M& m = p.value;
  Placed<long> counter(0L);
  bench::keep(&m);
  bench::keep(&counter);
  const double ns = two_threads_ns(
      n,
      [&] {
        m.lock();
        ++counter.value;
        m.unlock();
        for (long k = 0; k < outside; ++k) bench::keep(k);
      },
      parallelism);
  if (counter.value != 2 * n) bench::die("2-thread mutex lost increments");
  return ns;
}

void print_parallelism(std::vector<std::vector<double>>& par,
                       const std::vector<const char*>& names) {
  std::printf(
      "\nparallelism of the 2-thread rounds (process CPU time / wall time; 2.0 = both threads "
      "ran at once,\n1.0 = one after the other), median (min):");
  for (std::size_t i = 0; i < par.size(); ++i) {
    par[i].erase(par[i].begin());  // the warm-up run
    std::printf(" %s %.2f (%.2f)%s", names[i], bench::median(par[i]), bench::min_of(par[i]),
                i + 1 < par.size() ? "," : "\n");
  }
}

// Prints the variants of one group and the ratio of each weft variant to its std reference.
struct Pair {
  std::size_t weft, reference;
};
void report(const char* title, const std::vector<bench::Variant>& vs,
            const std::vector<Pair>& pairs) {
  bench::print_ns_table(title, vs);
  std::printf("\n");
  bench::Table r({"ratio (target <= 1.05)", "median of per-round ratios", "min", "max",
                  "ratio of medians", "within 5%?"});
  for (const Pair& p : pairs) {
    const std::vector<double> q = bench::ratios(vs[p.weft].results, vs[p.reference].results);
    const double med = bench::median(q);
    r.add(
        {vs[p.weft].name + " / " + vs[p.reference].name, bench::fmt(med, 3),
         bench::fmt(bench::min_of(q), 3), bench::fmt(bench::max_of(q), 3),
         bench::fmt(bench::median(vs[p.weft].results) / bench::median(vs[p.reference].results), 3),
         med <= 1.05 ? "yes" : "NO"});
  }
  r.print();
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 15));
  const long n = static_cast<long>(bench::arg(argc, argv, "--ops", 10'000'000));
  const long n2 = static_cast<long>(bench::arg(argc, argv, "--ops-2t", 5'000'000));
  // --part 1: mutexes, 2: 1-thread fetch_add, 3: 2-thread fetch_add; default: these three.
  // --part 4: 2-thread contended mutexes (exploratory; --outside N: work between unlock and lock).
  const long long part = bench::arg(argc, argv, "--part", 0);
  const long outside = static_cast<long>(bench::arg(argc, argv, "--outside", 0));
  std::printf(
      "bench_production: weft types outside explore() vs std (medians of %d interleaved "
      "rounds)\n",
      rounds);
  bench::print_machine();

  // glibc skips the lock prefix of pthread_mutex_lock/unlock while the process has never had a
  // second thread, and keeps the full path once it has had one: measure both states, the
  // multi-threaded one is what a program that needs a mutex runs in.
  auto mutex_group = [&](const std::string& state) {
    std::vector<bench::Variant> mutexes = {
        {"std::mutex", [n] { return lock_unlock_ns<std::mutex>(n); }},
        {"std::timed_mutex", [n] { return lock_unlock_ns<std::timed_mutex>(n); }},
        {"weft::Mutex", [n] { return lock_unlock_ns<weft::Mutex>(n); }},
        {"lock_guard<std::mutex>", [n] { return lock_guard_ns<std::mutex>(n); }},
        {"lock_guard<weft::Mutex>", [n] { return lock_guard_ns<weft::Mutex>(n); }},
    };
    bench::interleave(mutexes, rounds);
    report(("uncontended lock+unlock pair, 1 thread, " + bench::fmt_int(static_cast<double>(n)) +
            " pairs per round, " + state)
               .c_str(),
           mutexes, {{2, 0}, {2, 1}, {4, 3}});
  };
  if (part == 0 || part == 1) {
    mutex_group("process never had a second thread (glibc single-thread fast path)");
    std::thread([] {}).join();
    mutex_group("after a second thread existed (the usual case)");
  }
  if (part == 0 || part == 2) {
    std::vector<bench::Variant> atomics = {
        {"std::atomic<long>", [n] { return fetch_add_ns<std::atomic<long>>(n); }},
        {"weft::Atomic<long>", [n] { return fetch_add_ns<weft::Atomic<long>>(n); }},
    };
    bench::interleave(atomics, rounds);
    report(("fetch_add(1), 1 thread, " + bench::fmt_int(static_cast<double>(n)) + " ops per round")
               .c_str(),
           atomics, {{1, 0}});
  }
  if (part == 0 || part == 3) {
    std::vector<std::vector<double>> par(3);
    std::vector<bench::Variant> atomics2 = {
        {"std::atomic<long>",
         [n2, &par] { return fetch_add_2t_ns<std::atomic<long>>(n2, par[0]); }},
        {"weft::Atomic<long>",
         [n2, &par] { return fetch_add_2t_ns<weft::Atomic<long>>(n2, par[1]); }},
        {"weft::Atomic<long>, value on its own line (diagnostic)",
         [n2, &par] { return fetch_add_2t_ns<weft::Atomic<long>, kSplit>(n2, par[2]); }},
    };
    bench::interleave(atomics2, rounds);
    report(("fetch_add(1), 2 threads on one object, " + bench::fmt_int(static_cast<double>(n2)) +
            " ops per thread per round (ns/op = wall / all ops);\nobjects start a cache line, "
            "except the diagnostic row, where weft's mode field ends one line and the value "
            "starts the next")
               .c_str(),
           atomics2, {{1, 0}, {2, 0}});
    print_parallelism(par, {"std", "weft", "weft split"});
  }
  if (part == 4) {  // exploratory, not in the default run: see docs/BENCHMARKS.md
    std::vector<std::vector<double>> par(3);
    std::vector<bench::Variant> mutexes2 = {
        {"std::mutex", [n2, outside, &par] { return lock_2t_ns<std::mutex>(n2, outside, par[0]); }},
        {"std::timed_mutex",
         [n2, outside, &par] { return lock_2t_ns<std::timed_mutex>(n2, outside, par[1]); }},
        {"weft::Mutex",
         [n2, outside, &par] { return lock_2t_ns<weft::Mutex>(n2, outside, par[2]); }},
    };
    bench::interleave(mutexes2, rounds);
    report(("contended lock+unlock: 2 threads on one mutex, " +
            bench::fmt_int(static_cast<double>(n2)) +
            " x {lock; ++counter; unlock} per thread per round (ns/op = wall / all pairs);\n"
            "mutexes start a cache line")
               .c_str(),
           mutexes2, {{2, 0}, {2, 1}});
    print_parallelism(par, {"std::mutex", "std::timed_mutex", "weft::Mutex"});
  }
  bench::print_load("at end");
  return 0;
}
