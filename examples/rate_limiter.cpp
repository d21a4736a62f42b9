// The seed's Semaphore(3) as a rate limiter: at most three workers inside at once. The
// assertion checks the limit in every explored interleaving.
#include <chrono>
#include <vector>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

using namespace std::chrono_literals;

namespace {

void limited_requests(int workers, int limit) {
  weft::Semaphore semaphore(limit, "rate limit");
  weft::Atomic<int> inside(0, "inside");
  std::vector<weft::Thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] {
      semaphore.acquire();
      const int now = inside.fetch_add(1) + 1;
      WEFT_ASSERT_MSG(now <= 3, std::to_string(now) + " requests at once");
      weft::this_thread::sleep_for(100ms);  // the "request"
      inside.fetch_sub(1);
      semaphore.release();
    });
  }
  for (weft::Thread& t : threads) t.join();
}

}  // namespace

WEFT_SCENARIO("seed: semaphore(3) rate limiter") { limited_requests(5, 3); }
WEFT_SCENARIO("semaphore(4) breaks the limit of 3") { limited_requests(5, 4); }
