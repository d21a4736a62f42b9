// bench_executors — weft::ThreadPoolExecutor in production mode against the thread pools a C++
// user would otherwise reach for, side by side in one process:
//
//   * weft::ThreadPoolExecutor(2): submit -> weft::Future<void>
//   * thread_pool 4.0 (Debian libthread-pool-dev): ThreadPool(2).Submit -> std::future<void>
//   * oneTBB task_group, run inside a task_arena of concurrency 2 (the waiting thread is one of
//     the two: TBB has the caller of wait() execute tasks); no per-task future exists there
//   * oneTBB task_arena(2, 0)::enqueue: two worker threads, fire-and-forget, completion counted
//     with an atomic the caller waits on
//   * a thread per task: std::async(std::launch::async) -> std::future<void> (fewer tasks)
//
// Two measurements (targets from issue #6):
//   (1) throughput: N empty tasks, each with its future where the API has one; submit all,
//       then wait for all. ns per task. Target: weft >= 3x thread_pool 4.0's tasks/s, and
//       within 2x of task_group's.
//   (2) round trip: one empty task at a time, submit -> get. ns per trip. Target: weft below
//       thread_pool 4.0.
//
// Every variant is first checked (untimed): N counting tasks run exactly N times, and a value
// comes back through each kind of future. Interleaved rounds, medians of per-round ratios (see
// bench_common.hpp and docs/BENCHMARKS.md).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <weft/weft.hpp>
#if WEFT_BENCH_THREAD_POOL
#include <thread_pool/thread_pool.hpp>
#endif
#if WEFT_BENCH_TBB
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#endif

#include "bench_common.hpp"

namespace {

constexpr std::size_t kWorkers = 2;

// One pool under test: `batch(n, fn)` runs n copies of fn and returns once all ran (fn is
// either the empty task or the counting one); `trip()` runs one empty task and waits for it.
struct Pool {
  std::string name;
  long tasks;  // per throughput round (the thread-per-task variant uses fewer)
  long trips;  // per round-trip round
  std::function<void(long, void (*)())> batch;
  std::function<void()> trip;
  std::function<int()> value;  // 42, through the pool's own result channel
};

void empty_task() {}
std::atomic<long> counted{0};
void counting_task() { counted.fetch_add(1, std::memory_order_relaxed); }

// The throughput loop of every pool with futures: n submits, then a get() on each future.
template <class Submit>
void submit_all_then_get(long n, Submit submit) {
  std::vector<decltype(submit())> fs;
  fs.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) fs.push_back(submit());
  for (auto& f : fs) f.get();
}

// Waits until `remaining` reaches 0 (the last task notifies).
void wait_zero(std::atomic<long>& remaining) {
  for (long v = remaining.load(); v != 0; v = remaining.load()) remaining.wait(v);
}

std::vector<Pool> make_pools(long tasks, long thread_tasks, long trips, long thread_trips) {
  std::vector<Pool> pools;

  auto weft_pool = std::make_shared<weft::ThreadPoolExecutor>(kWorkers);
  pools.push_back(Pool{"weft::ThreadPoolExecutor", tasks, trips,
                       [weft_pool](long n, void (*fn)()) {
                         submit_all_then_get(n, [&] { return weft_pool->submit(fn); });
                       },
                       [weft_pool] { weft_pool->submit(empty_task).get(); },
                       [weft_pool] { return weft_pool->submit([] { return 42; }).get(); }});

#if WEFT_BENCH_THREAD_POOL
  auto tp = std::make_shared<thread_pool::ThreadPool>(kWorkers);
  pools.push_back(
      Pool{"thread_pool 4.0", tasks, trips,
           [tp](long n, void (*fn)()) { submit_all_then_get(n, [&] { return tp->Submit(fn); }); },
           [tp] { tp->Submit(empty_task).get(); },
           [tp] { return tp->Submit([] { return 42; }).get(); }});
#endif

#if WEFT_BENCH_TBB
  // TBB starts hardware_concurrency - 1 workers by default (1 here); allow the two that the
  // enqueue arena asks for. Kept alive for the whole program.
  static tbb::global_control workers(tbb::global_control::max_allowed_parallelism, kWorkers + 1);
  auto tg_arena = std::make_shared<tbb::task_arena>(static_cast<int>(kWorkers));
  pools.push_back(Pool{"oneTBB task_group", tasks, trips,
                       [tg_arena](long n, void (*fn)()) {
                         tg_arena->execute([&] {
                           tbb::task_group tg;
                           for (long i = 0; i < n; ++i) tg.run(fn);
                           tg.wait();
                         });
                       },
                       [tg_arena] {
                         tg_arena->execute([&] {
                           tbb::task_group tg;
                           tg.run(empty_task);
                           tg.wait();
                         });
                       },
                       [tg_arena] {
                         int v = 0;
                         tg_arena->execute([&] {
                           tbb::task_group tg;
                           tg.run([&] { v = 42; });
                           tg.wait();
                         });
                         return v;
                       }});

  auto enq_arena = std::make_shared<tbb::task_arena>(static_cast<int>(kWorkers), 0);
  pools.push_back(Pool{"oneTBB task_arena::enqueue", tasks, trips,
                       [enq_arena](long n, void (*fn)()) {
                         std::atomic<long> remaining{n};
                         for (long i = 0; i < n; ++i) {
                           enq_arena->enqueue([fn, &remaining] {
                             fn();
                             if (remaining.fetch_sub(1) == 1) remaining.notify_one();
                           });
                         }
                         wait_zero(remaining);
                       },
                       [enq_arena] {
                         std::atomic<long> remaining{1};
                         enq_arena->enqueue([&remaining] {
                           remaining.store(0);
                           remaining.notify_one();
                         });
                         wait_zero(remaining);
                       },
                       [enq_arena] {
                         std::atomic<long> remaining{1};
                         int v = 0;
                         enq_arena->enqueue([&] {
                           v = 42;
                           remaining.store(0);
                           remaining.notify_one();
                         });
                         wait_zero(remaining);
                         return v;
                       }});
#endif

  pools.push_back(Pool{"std::async (thread per task)", thread_tasks, thread_trips,
                       [](long n, void (*fn)()) {
                         submit_all_then_get(n, [&] { return std::async(std::launch::async, fn); });
                       },
                       [] { std::async(std::launch::async, empty_task).get(); },
                       [] { return std::async(std::launch::async, [] { return 42; }).get(); }});
  return pools;
}

void check(Pool& p) {
  counted = 0;
  p.batch(p.tasks, counting_task);
  if (counted.load() != p.tasks) {
    bench::die(p.name + ": " + std::to_string(counted.load()) + " of " + std::to_string(p.tasks) +
               " tasks ran");
  }
  if (p.value() != 42) bench::die(p.name + ": the result did not come back");
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 9));
  const long tasks = bench::arg(argc, argv, "--tasks", 100000);
  const long thread_tasks = bench::arg(argc, argv, "--thread-tasks", 2000);
  const long trips = bench::arg(argc, argv, "--trips", 20000);
  const long thread_trips = bench::arg(argc, argv, "--thread-trips", 2000);
  const long part = bench::arg(argc, argv, "--part", 0);
  if (rounds < 1 || tasks < 1 || thread_tasks < 1 || trips < 1 || thread_trips < 1 || part < 0 ||
      part > 2) {
    std::fprintf(stderr,
                 "usage: bench_executors [--rounds N>=1] [--tasks N] [--thread-tasks N] "
                 "[--trips N] [--thread-trips N] [--part 0|1|2]\n");
    return 2;
  }
  bench::print_machine();
  std::printf("workers: %zu in every pool; rounds: %d\n", kWorkers, rounds);

  std::vector<Pool> pools = make_pools(tasks, thread_tasks, trips, thread_trips);
  for (Pool& p : pools) check(p);
  const double cpu0 = bench::process_cpu_seconds();
  const auto wall0 = bench::Clock::now();

  auto report = [&](const char* title, std::vector<bench::Variant>& vs, const char* unit,
                    const std::vector<long>& per_round) {
    std::printf("\n%s\n\n", title);
    bench::Table t(
        {"pool", "per round", std::string(unit) + " median", "min", "max", "M tasks/s (median)"});
    for (std::size_t i = 0; i < vs.size(); ++i) {
      const double med = bench::median(vs[i].results);
      t.add({vs[i].name, bench::fmt_int(static_cast<double>(per_round[i])), bench::fmt(med),
             bench::fmt(bench::min_of(vs[i].results)), bench::fmt(bench::max_of(vs[i].results)),
             bench::fmt(1e3 / med, 3)});
    }
    t.print();
    std::printf("\n");
    bench::Table r({"ratio (time per task, others / weft)", "median of per-round ratios", "min",
                    "max", "ratio of medians"});
    for (std::size_t i = 1; i < vs.size(); ++i) {
      const auto rs = bench::ratios(vs[i].results, vs[0].results);
      r.add({vs[i].name + " / weft", bench::fmt(bench::median(rs), 2),
             bench::fmt(bench::min_of(rs), 2), bench::fmt(bench::max_of(rs), 2),
             bench::fmt(bench::median(vs[i].results) / bench::median(vs[0].results), 2)});
    }
    r.print();
  };

  // One measurement over every pool: `count` operations per round, all done by `work`.
  auto measure = [&](const char* title, const char* unit, long Pool::*count, auto work) {
    std::vector<bench::Variant> vs;
    std::vector<long> per_round;
    for (Pool& p : pools) {
      Pool* pp = &p;
      per_round.push_back(p.*count);
      vs.emplace_back(p.name, [pp, count, work] {
        // Idle workers of the pool measured just before may still spin (weft's for up to ~80
        // µs, TBB's longer) and would take a core from this one: let them fall asleep first.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const double s = bench::seconds([&] { work(*pp); });
        return s * 1e9 / static_cast<double>(pp->*count);
      });
    }
    bench::interleave(vs, rounds);
    report(title, vs, unit, per_round);
  };
  if (part != 2) {
    measure("(1) throughput: submit N empty tasks (each with its future), then wait for all",
            "ns/task", &Pool::tasks, [](Pool& p) { p.batch(p.tasks, empty_task); });
  }
  if (part != 1) {
    measure("(2) round trip: submit one empty task, get its result, repeat", "ns/trip",
            &Pool::trips, [](Pool& p) {
              for (long i = 0; i < p.trips; ++i) p.trip();
            });
  }
  const double wall = std::chrono::duration<double>(bench::Clock::now() - wall0).count();
  std::printf("\nparallelism of the timed part (process CPU time / wall time): %.2f\n",
              (bench::process_cpu_seconds() - cpu0) / wall);
  bench::print_load("at end");
  return 0;
}
