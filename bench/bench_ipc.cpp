// weft::ipc against Python's multiprocessing, side by side in one run (rounds alternate which
// side goes first; medians and per-round ratios):
//   queue int / queue str: a producer Process puts N items (an int64 / a 100-character string)
//     into an ipc::Queue, the parent gets them; timed from the first item received to the last,
//     so process start-up is not measured. Python: multiprocessing.Queue, same items.
//   value: two processes each do N times `std::lock_guard lk(v.get_lock()); v += 1`, released
//     together; timed from the release to the later finish. Python: multiprocessing.Value with
//     get_lock(). The count is checked to be exact on both sides.
// Usage: bench_ipc [--rounds N] [--python path/to/ipc.py]
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace {

constexpr std::int64_t kItems = 1000000;
constexpr std::int64_t kIncrements = 1000000;
constexpr int kPythonItems = 100000;
constexpr int kPythonIncrements = 200000;
const std::string kPayload(100, 'x');

double now_s() {
  return std::chrono::duration<double>(bench::Clock::now().time_since_epoch()).count();
}

void produce_ints(weft::ipc::Queue<std::int64_t> q, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) q.put(i);
}

void produce_strings(weft::ipc::Queue<std::string> q, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) q.put(kPayload);
}

template <class T, class F>
double queue_rate(F producer) {
  weft::ipc::Queue<T> q;
  weft::Process p(producer, q, kItems);
  p.start();
  (void)q.get();
  const double s = bench::seconds([&] {
    for (std::int64_t i = 1; i < kItems; ++i) bench::keep(q.get());
  });
  p.join();
  if (!q.empty() || p.exitcode() != 0) bench::die("queue producer failed");
  return static_cast<double>(kItems - 1) / s;
}

// Reports ready, waits for the go, then counts under the lock, as the seed's Python does.
void increment(weft::ipc::Value<std::int64_t> v, weft::ipc::Value<int> ready,
               weft::ipc::Value<int> go, weft::ipc::Array<double> ends, int idx) {
  {
    std::lock_guard lk(ready.get_lock());
    ready += 1;
  }
  while (go.load() == 0) std::this_thread::yield();
  for (std::int64_t i = 0; i < kIncrements; ++i) {
    std::lock_guard lk(v.get_lock());
    v += 1;
  }
  ends[static_cast<std::size_t>(idx)] = now_s();
}

double value_rate() {
  weft::ipc::Value<std::int64_t> v(0);
  weft::ipc::Value<int> ready(0);
  weft::ipc::Value<int> go(0);
  weft::ipc::Array<double> ends(2);
  std::deque<weft::Process> ps;
  for (int i = 0; i < 2; ++i) ps.emplace_back(increment, v, ready, go, ends, i);
  for (auto& p : ps) p.start();
  while (ready.load() != 2) std::this_thread::yield();
  const double t0 = now_s();
  go.store(1);
  for (auto& p : ps) p.join();
  if (v.load() != 2 * kIncrements) bench::die("lost increments under get_lock()");
  const auto e = ends.to_vector();
  return 2.0 * static_cast<double>(kIncrements) / (std::max(e[0], e[1]) - t0);
}

struct Rates {
  double queue_int, queue_str, value;
};

Rates python_round(const std::string& script) {
  const std::string cmd = "python3 " + script + " --rounds 1 --items " +
                          std::to_string(kPythonItems) + " --increments " +
                          std::to_string(kPythonIncrements / 2);
  Rates r{};
  bench::read_command(cmd, "queue_int=%lf queue_str=%lf value=%lf", &r.queue_int, &r.queue_str,
                      &r.value);
  return r;
}

Rates weft_round() {
  return {queue_rate<std::int64_t>(produce_ints), queue_rate<std::string>(produce_strings),
          value_rate()};
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 5));
  const std::string script = bench::string_arg(argc, argv, "--python", WEFT_BENCH_IPC_PY);
  bench::print_machine();
  std::printf(
      "items: %lld (weft) / %d (Python) per queue round; locked increments: 2 x %lld (weft) / "
      "2 x %d (Python); %d rounds\n",
      static_cast<long long>(kItems), kPythonItems, static_cast<long long>(kIncrements),
      kPythonIncrements / 2, rounds);

  weft_round();  // warm-up
  python_round(script);
  std::vector<Rates> w, py;
  for (int r = 0; r < rounds; ++r) {
    if (r % 2 == 1) py.push_back(python_round(script));
    w.push_back(weft_round());
    if (r % 2 == 0) py.push_back(python_round(script));
    std::fprintf(stderr, "\r  round %d/%d", r + 1, rounds);
  }
  std::fprintf(stderr, "\r%*s\r", 30, "");

  bench::Table table({"per second", "weft median", "weft min..max", "Python median",
                      "Python min..max", "weft / Python (median of per-round ratios)"});
  auto row = [&](const char* name, double Rates::*field) {
    std::vector<double> a, b;
    for (const Rates& r : w) a.push_back(r.*field);
    for (const Rates& r : py) b.push_back(r.*field);
    table.add({name, bench::fmt_int(bench::median(a)),
               bench::fmt_int(bench::min_of(a)) + ".." + bench::fmt_int(bench::max_of(a)),
               bench::fmt_int(bench::median(b)),
               bench::fmt_int(bench::min_of(b)) + ".." + bench::fmt_int(bench::max_of(b)),
               bench::fmt(bench::median(bench::ratios(a, b)), 1)});
  };
  row("queue items (int64)", &Rates::queue_int);
  row("queue items (100-char string)", &Rates::queue_str);
  row("locked Value increments (2 processes)", &Rates::value);
  table.print();
  bench::print_load("at end");
}
