// The seed's worker pool fed through a queue and stopped with poison pills (None): one pill
// per worker. Send one pill too few and a worker waits forever: exploration reports the
// deadlock and names the queue it waits on.
#include <optional>
#include <utility>
#include <vector>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

namespace {

long sum_of_squares(long n) {
  long s = 0;
  for (long i = 0; i < n; ++i) s += i * i;
  return s;
}

void worker_pool(int workers, const std::vector<long>& tasks, int pills) {
  weft::Queue<std::optional<long>> task_queue(0, "tasks");
  weft::Queue<std::pair<int, long>> result_queue(0, "results");
  std::vector<weft::Thread> pool;
  for (int id = 0; id < workers; ++id) {
    pool.emplace_back([&, id] {
      for (;;) {
        std::optional<long> task = task_queue.get();
        if (!task) break;  // poison pill: shut down
        result_queue.put({id, sum_of_squares(*task)});
      }
    });
  }
  for (long n : tasks) task_queue.put(n);
  for (int i = 0; i < pills; ++i) task_queue.put(std::nullopt);
  long total = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) total += result_queue.get().second;
  for (weft::Thread& w : pool) w.join();
  long expected = 0;
  for (long n : tasks) expected += sum_of_squares(n);
  WEFT_ASSERT(total == expected);
}

std::vector<long> seed_tasks() {
  if (weft::exploring()) return {100, 200, 150, 300, 250, 180};
  return {100000, 200000, 150000, 300000, 250000, 180000};
}

}  // namespace

WEFT_SCENARIO("seed: poison-pill worker queue") { worker_pool(3, seed_tasks(), 3); }
WEFT_SCENARIO("poison pills: one pill short deadlocks") { worker_pool(3, seed_tasks(), 2); }
