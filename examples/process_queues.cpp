// The seed's home-built task pool: worker processes fed through an ipc::Queue and stopped with
// poison pills (None), one pill per worker; results come back through a second queue. Send one
// pill too few and a worker waits forever: exploration reports the deadlock.
//
//   Python:  Process(target=worker, args=(tasks, results, i))
//   weft:    weft::Process(worker, tasks, results, i)
#include <deque>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include <weft/ipc.hpp>
#include <weft/process.hpp>
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "seed_output.hpp"

namespace {

using Tasks = weft::ipc::Queue<std::optional<long>>;            // nullopt: the poison pill
using Results = weft::ipc::Queue<std::tuple<int, long, long>>;  // (worker_id, task, result)

long sum_of_squares(long n) {
  long s = 0;
  for (long i = 0; i < n; ++i) s += i * i;
  return s;
}

// A plain function: it runs in another process, with handles to the same two queues.
void worker(Tasks task_queue, Results result_queue, int worker_id) {
  for (;;) {
    const std::optional<long> task = task_queue.get();
    if (!task) break;  // poison pill: shut down
    result_queue.put({worker_id, *task, sum_of_squares(*task)});
  }
}

void process_pool(const std::vector<long>& work, int workers, int pills) {
  Tasks tasks;
  Results results;
  std::deque<weft::Process> processes;
  for (int i = 0; i < workers; ++i) {
    processes.emplace_back(worker, tasks, results, i);
    processes.back().start();
  }
  for (long n : work) tasks.put(n);
  for (int i = 0; i < pills; ++i) tasks.put(std::nullopt);
  std::multiset<long> done;
  for (std::size_t i = 0; i < work.size(); ++i) {
    const auto [worker_id, task, result] = results.get();
    seed::say("  Worker " + std::to_string(worker_id) + ": computed sum of squares up to " +
              seed::commas(task));
    // Closed form of 0² + ... + (n-1)²: the worker computed the sum it was asked for.
    WEFT_ASSERT(result == (task - 1) * task * (2 * task - 1) / 6);
    done.insert(task);
  }
  for (weft::Process& p : processes) p.join();
  WEFT_ASSERT_MSG(done == std::multiset<long>(work.begin(), work.end()),
                  "a task was lost or done twice");
  for (weft::Process& p : processes) WEFT_ASSERT(p.exitcode() == 0);
}

std::vector<long> seed_tasks() {
  if (weft::exploring()) return {100, 200, 150, 300, 250, 180};
  return {100'000, 200'000, 150'000, 300'000, 250'000, 180'000};
}

}  // namespace

// Explored with the seed's 4 workers on small sums (workers are model threads there).
WEFT_SCENARIO("seed: sum of squares on processes with poison pills") {
  process_pool(seed_tasks(), 4, 4);
}
WEFT_SCENARIO("processes: one poison pill short deadlocks") { process_pool(seed_tasks(), 4, 3); }
