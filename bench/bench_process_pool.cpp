// weft::ProcessPoolExecutor against Python's concurrent.futures.ProcessPoolExecutor, side by
// side in one run (rounds interleaved, medians and per-round ratios):
//   batch:      submit 2000 trivial tasks, then get every result; time per task
//   round trip: submit one task, get its result, repeat; time per task
// Both pools have 2 workers and are warm (workers started) before anything is timed.
// Usage: bench_process_pool [--rounds N] [--python path/to/process_pool.py]
#include <cstdio>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace {

int trivial(int x) { return x + 1; }

constexpr int kBatch = 2000;
constexpr int kTrips = 1000;

double weft_batch_us(weft::ProcessPoolExecutor& pool) {
  std::vector<weft::Future<int>> fs;
  fs.reserve(kBatch);
  const double s = bench::seconds([&] {
    for (int i = 0; i < kBatch; ++i) fs.push_back(pool.submit(trivial, i));
    for (int i = 0; i < kBatch; ++i) {
      if (fs[static_cast<std::size_t>(i)].get() != i + 1) bench::die("wrong batch result");
    }
  });
  return s / kBatch * 1e6;
}

double weft_trip_us(weft::ProcessPoolExecutor& pool) {
  const double s = bench::seconds([&] {
    for (int i = 0; i < kTrips; ++i) {
      if (pool.submit(trivial, i).get() != i + 1) bench::die("wrong round-trip result");
    }
  });
  return s / kTrips * 1e6;
}

// One round of the Python side in a fresh interpreter: {batch us/task, round trip us}.
std::pair<double, double> python_round(const std::string& script) {
  const std::string cmd = "python3 " + script + " --rounds 1 --workers 2 --batch " +
                          std::to_string(kBatch) + " --trips 500";
  double batch = 0;
  double trip = 0;
  bench::read_command(cmd, "batch_us=%lf roundtrip_us=%lf", &batch, &trip);
  return {batch, trip};
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 7));
  const std::string script = bench::string_arg(argc, argv, "--python", WEFT_BENCH_PROCESS_POOL_PY);
  bench::print_machine();
  std::printf("workers: 2, batch of %d tasks, %d (weft) / 500 (Python) round trips, %d rounds\n",
              kBatch, kTrips, rounds);

  weft::ProcessPoolExecutor pool(2);
  weft_batch_us(pool);  // warm-up: workers started, pages touched
  weft_trip_us(pool);
  python_round(script);

  std::vector<double> wb, wt, pb, pt;
  for (int r = 0; r < rounds; ++r) {
    // Alternate which side goes first.
    if (r % 2 == 1) {
      const auto [b, t] = python_round(script);
      pb.push_back(b);
      pt.push_back(t);
    }
    wb.push_back(weft_batch_us(pool));
    wt.push_back(weft_trip_us(pool));
    if (r % 2 == 0) {
      const auto [b, t] = python_round(script);
      pb.push_back(b);
      pt.push_back(t);
    }
    std::fprintf(stderr, "\r  round %d/%d", r + 1, rounds);
  }
  std::fprintf(stderr, "\r%*s\r", 30, "");

  bench::Table table({"per task (us)", "weft median", "weft min..max", "Python median",
                      "Python min..max", "weft / Python (median of per-round ratios)"});
  table.add({"batch of 2000", bench::fmt(bench::median(wb), 2),
             bench::fmt(bench::min_of(wb), 2) + ".." + bench::fmt(bench::max_of(wb), 2),
             bench::fmt(bench::median(pb), 1),
             bench::fmt(bench::min_of(pb), 1) + ".." + bench::fmt(bench::max_of(pb), 1),
             bench::fmt(bench::median(bench::ratios(wb, pb)), 3)});
  table.add({"round trip", bench::fmt(bench::median(wt), 2),
             bench::fmt(bench::min_of(wt), 2) + ".." + bench::fmt(bench::max_of(wt), 2),
             bench::fmt(bench::median(pt), 1),
             bench::fmt(bench::min_of(pt), 1) + ".." + bench::fmt(bench::max_of(pt), 1),
             bench::fmt(bench::median(bench::ratios(wt, pt)), 3)});
  table.print();
  std::printf("targets: batch ratio <= 0.100, round-trip ratio <= 0.200\n");
  bench::print_load("at end");
  return 0;
}
