// The seed's I/O-bound program: fetching pages one after another, then on a thread pool, where
// the waits overlap. Sleeps stand in for the network, so explored, the waits cost nothing
// (virtual time) and the overlap is exact: the pool takes as long as the slowest fetch.
//
//   Python:  executor.submit(fetch_url, url)      weft:  pool.submit(fetch_url, site)
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "seed_output.hpp"

using namespace std::chrono_literals;

namespace {

struct Site {
  const char* url;
  std::chrono::milliseconds latency;  // the round trip the sleep stands in for
  long bytes;                         // the size of the "response"
};

const std::vector<Site>& sites() {
  static const std::vector<Site> all = {
      {"https://www.python.org", 150ms, 50'182},
      {"https://docs.python.org/3/", 120ms, 17'841},
      {"https://pypi.org", 90ms, 22'301},
      {"https://peps.python.org", 130ms, 341'605},
  };
  return all;
}

long fetch_url(const Site& site) {
  const weft::Clock::time_point start = weft::Clock::now();
  weft::this_thread::sleep_for(site.latency);  // waiting for the network
  seed::say("  " + std::string(site.url) + ": " + seed::commas(site.bytes) + " bytes in " +
            seed::fixed(seed::seconds_since(start)) + "s");
  return site.bytes;
}

std::chrono::nanoseconds slowest() {
  std::chrono::nanoseconds m{0};
  for (const Site& s : sites()) m = std::max<std::chrono::nanoseconds>(m, s.latency);
  return m;
}

std::chrono::nanoseconds all_latencies() {
  std::chrono::nanoseconds sum{0};
  for (const Site& s : sites()) sum += s.latency;
  return sum;
}

long expected_bytes() {
  long sum = 0;
  for (const Site& s : sites()) sum += s.bytes;
  return sum;
}

}  // namespace

WEFT_SCENARIO("seed: I/O-bound fetches overlap on a thread pool") {
  seed::say("Sequential:");
  weft::Clock::time_point start = weft::Clock::now();
  long sequential_bytes = 0;
  for (const Site& site : sites()) sequential_bytes += fetch_url(site);
  const weft::Clock::duration sequential = weft::Clock::now() - start;
  seed::say("Total: " + seed::fixed(seed::seconds_since(start)) + "s\n");

  seed::say("Threaded:");
  start = weft::Clock::now();
  long threaded_bytes = 0;
  {
    weft::ThreadPoolExecutor pool(sites().size());
    std::vector<weft::Future<long>> futures;
    for (const Site& site : sites()) futures.push_back(pool.submit(fetch_url, site));
    for (weft::Future<long>& f : futures) threaded_bytes += f.get();
  }
  const weft::Clock::duration threaded = weft::Clock::now() - start;
  seed::say("Total: " + seed::fixed(seed::seconds_since(start)) + "s");
  seed::say(
      "Speedup: " +
      seed::fixed(
          std::chrono::duration<double>(sequential) / std::chrono::duration<double>(threaded), 1) +
      "x");

  WEFT_ASSERT(sequential_bytes == expected_bytes() && threaded_bytes == expected_bytes());
  if (weft::exploring()) {
    // Virtual time is exact: one wait after another, then every wait at once.
    WEFT_ASSERT(sequential == all_latencies());
    WEFT_ASSERT_MSG(threaded == slowest(), "the pool's fetches did not overlap");
  } else {
    WEFT_ASSERT_MSG(threaded < sequential, "the pool was no faster than one fetch at a time");
  }
}

// The same fetches adding their sizes to one total from the pool's workers: `total += bytes`
// is a read and a write, and two workers can read the same total. Exploration reports the lost
// update.
WEFT_SCENARIO("I/O-bound: workers add to a byte total without a lock") {
  weft::Shared<long> total(0, "total_bytes");
  {
    weft::ThreadPoolExecutor pool(sites().size());
    for (const Site& site : sites()) {
      pool.submit([&total, site] { total += fetch_url(site); });  // NOT atomic
    }
  }
  seed::say("Total: " + seed::commas(total.load()) + " bytes");
  WEFT_ASSERT(total.load() == expected_bytes());
}
