// bench_lockdep — what production lock-order checking (weft/lockdep.hpp) costs: weft::Mutex
// with lockdep off and on against std::mutex, on four programs:
//   single    1 thread, lock+unlock of one mutex (nothing else held: no edge to record)
//   nested    1 thread, lock+unlock of an inner mutex while an outer one is held (an edge,
//             known to the thread after its first time)
//   2t        2 threads, {lock; ++counter; unlock; a little work} on one mutex
//   2t-nested 2 threads, {lock outer; lock inner; ++counter; unlock both; a little work}, each
//             thread on its own outer mutex, both on one inner mutex
// Built a second time as bench_lockdep_tsan (-fsanitize=thread, WEFT_BENCH_TSAN_ONLY): the same
// four programs on std::mutex only, for ThreadSanitizer's deadlock detector
// (TSAN_OPTIONS=detect_deadlocks=1) against plain TSan (detect_deadlocks=0).
//
// Interleaved rounds; medians, and for weft the median of per-round on/off ratios.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#ifndef WEFT_BENCH_TSAN_ONLY
#include <weft/weft.hpp>
#endif

#include "bench_common.hpp"

namespace {

// On a cache line of its own. A weft::Mutex gets a name, which is its lockdep class: members of
// one struct are all constructed at the struct's line, and one class has no order within it.
template <class T>
struct alignas(64) Placed {
  Placed() = default;
  explicit Placed(const char* name) requires std::is_constructible_v<T, std::string_view>
      : value(name) {}
  explicit Placed(const char*) requires(!std::is_constructible_v<T, std::string_view>) {}
  T value{};
};

template <class M>
double single_ns(long n) {
  Placed<M> p;
  bench::keep(&p.value);
  const double s = bench::seconds([&] {
    for (long i = 0; i < n; ++i) {
      p.value.lock();
      p.value.unlock();
    }
  });
  return s * 1e9 / static_cast<double>(n);
}

template <class M>
double nested_ns(long n) {
  Placed<M> outer("outer"), inner("inner");
  bench::keep(&outer.value);
  bench::keep(&inner.value);
  outer.value.lock();
  const double s = bench::seconds([&] {
    for (long i = 0; i < n; ++i) {
      inner.value.lock();
      inner.value.unlock();
    }
  });
  outer.value.unlock();
  return s * 1e9 / static_cast<double>(n);
}

// Two OS threads each run op(t) n times from a common start; wall ns per op.
template <class Op>
double two_threads_ns(long n, const Op& op) {
  alignas(64) std::atomic<int> ready{0};
  alignas(64) std::atomic<bool> go{false};
  auto work = [&](int t) {
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) {
    }
    for (long i = 0; i < n; ++i) op(t);
  };
  std::thread t1(work, 0), t2(work, 1);
  while (ready.load() < 2) std::this_thread::yield();
  const auto t0 = bench::Clock::now();
  go.store(true, std::memory_order_release);
  t1.join();
  t2.join();
  const double wall = std::chrono::duration<double, std::nano>(bench::Clock::now() - t0).count();
  return wall / static_cast<double>(2 * n);
}

constexpr long kOutside = 50;  // work outside the lock, so that the threads really alternate

template <class M>
double contended_ns(long n) {
  Placed<M> m;
  Placed<long> counter;
  const double ns = two_threads_ns(n, [&](int) {
    m.value.lock();
    ++counter.value;
    m.value.unlock();
    for (long k = 0; k < kOutside; ++k) bench::keep(k);
  });
  if (counter.value != 2 * n) bench::die("lost increments");
  return ns;
}

template <class M>
double contended_nested_ns(long n) {
  Placed<M> outer[2] = {Placed<M>("outer 1"), Placed<M>("outer 2")};
  Placed<M> inner("inner");
  Placed<long> counter;
  const double ns = two_threads_ns(n, [&](int t) {
    outer[t].value.lock();
    inner.value.lock();
    ++counter.value;
    inner.value.unlock();
    outer[t].value.unlock();
    for (long k = 0; k < kOutside; ++k) bench::keep(k);
  });
  if (counter.value != 2 * n) bench::die("lost increments");
  return ns;
}

[[maybe_unused]] void ratio_row(bench::Table& t, const std::string& what, const bench::Variant& a,
                                const bench::Variant& b) {
  const std::vector<double> q = bench::ratios(a.results, b.results);
  t.add({what, bench::fmt(bench::median(q), 3), bench::fmt(bench::min_of(q), 3),
         bench::fmt(bench::max_of(q), 3)});
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 11));
  const long n = static_cast<long>(bench::arg(argc, argv, "--ops", 5'000'000));
  const long n2 = static_cast<long>(bench::arg(argc, argv, "--ops-2t", 1'000'000));
  std::thread([] {}).join();  // glibc's multi-threaded mutex path, as in any program with threads
  bench::print_machine();

#ifdef WEFT_BENCH_TSAN_ONLY
  std::printf(
      "bench_lockdep_tsan: std::mutex under ThreadSanitizer (TSAN_OPTIONS=%s), medians "
      "of %d interleaved rounds\n",
      std::getenv("TSAN_OPTIONS") != nullptr ? std::getenv("TSAN_OPTIONS") : "", rounds);
  std::vector<bench::Variant> vs = {
      {"single", [n] { return single_ns<std::mutex>(n); }},
      {"nested", [n] { return nested_ns<std::mutex>(n); }},
      {"2t", [n2] { return contended_ns<std::mutex>(n2); }},
      {"2t-nested", [n2] { return contended_nested_ns<std::mutex>(n2); }},
  };
  bench::interleave(vs, rounds);
  bench::print_ns_table("std::mutex under TSan, ns per lock+unlock pair (2t: wall / all pairs)",
                        vs);
#else
  std::printf(
      "bench_lockdep: weft::Mutex with lockdep off and on vs std::mutex, medians of %d "
      "interleaved rounds\n",
      rounds);
  auto with = [](weft::LockdepMode mode, auto f) {
    return [mode, f] {
      weft::set_lockdep(mode);
      const double r = f();
      weft::set_lockdep(weft::LockdepMode::Off);
      return r;
    };
  };
  using weft::LockdepMode;
  auto group = [&](const char* title, auto std_run, auto weft_run) {
    std::vector<bench::Variant> vs = {
        {"std::mutex", std_run},
        {"weft::Mutex, lockdep off", with(LockdepMode::Off, weft_run)},
        {"weft::Mutex, lockdep on", with(LockdepMode::Report, weft_run)},
    };
    bench::interleave(vs, rounds);
    bench::print_ns_table(title, vs);
    std::printf("\n");
    bench::Table t({"ratio", "median of per-round ratios", "min", "max"});
    ratio_row(t, "off / std::mutex", vs[1], vs[0]);
    ratio_row(t, "on / off", vs[2], vs[1]);
    ratio_row(t, "on / std::mutex", vs[2], vs[0]);
    t.print();
  };
  group(
      "single: 1 thread, lock+unlock of one mutex, ns per pair",
      [n] { return single_ns<std::mutex>(n); }, [n] { return single_ns<weft::Mutex>(n); });
  group(
      "nested: 1 thread, lock+unlock of an inner mutex under a held outer one, ns per pair",
      [n] { return nested_ns<std::mutex>(n); }, [n] { return nested_ns<weft::Mutex>(n); });
  group(
      "2t: 2 threads on one mutex, ns per pair (wall / all pairs)",
      [n2] { return contended_ns<std::mutex>(n2); },
      [n2] { return contended_ns<weft::Mutex>(n2); });
  group(
      "2t-nested: 2 threads, own outer + shared inner mutex, ns per outer+inner (wall / all)",
      [n2] { return contended_nested_ns<std::mutex>(n2); },
      [n2] { return contended_nested_ns<weft::Mutex>(n2); });
  if (!weft::lockdep_reports().empty()) bench::die("lockdep reported a consistent order");
#endif
  bench::print_load("at end");
  return 0;
}
