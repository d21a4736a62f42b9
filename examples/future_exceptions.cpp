// The seed's exceptions through futures: a task's exception is stored in its future and thrown
// again by get() in the caller, who handles it. Forget to handle it and exploration reports
// the uncaught exception (for real, the program dies of it).
//
//   Python:  except ConnectionError as e:     weft:  catch (const ConnectionError& e)
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "seed_output.hpp"

using namespace std::chrono_literals;

namespace {

struct ConnectionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string risky_fetch(const std::string& url) {
  if (url.find("badurl") != std::string::npos) {
    throw ConnectionError("Cannot connect to " + url);
  }
  return "Success: " + url;
}

const std::vector<std::string> kUrls = {"https://python.org", "https://badurl.invalid",
                                        "https://pypi.org"};

}  // namespace

WEFT_SCENARIO("seed: exceptions through futures") {
  weft::ThreadPoolExecutor executor(3);
  std::vector<weft::Future<std::string>> futures;
  for (const std::string& url : kUrls) futures.push_back(executor.submit(risky_fetch, url));
  int failed = 0;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    if (!futures[i].wait_for(5s)) {  // Python's result(timeout=5)
      seed::say("  TIMEOUT: " + kUrls[i]);
      continue;
    }
    try {
      seed::say("  OK: " + futures[i].get());
    } catch (const ConnectionError& e) {
      seed::say(std::string("  FAILED: ") + e.what());
      ++failed;
    }
  }
  WEFT_ASSERT(failed == 1);
  // The failure is also there without a throw: exception() returns it, null for the others.
  WEFT_ASSERT(futures[0].exception() == nullptr && futures[1].exception() != nullptr &&
              futures[2].exception() == nullptr);
}

WEFT_SCENARIO("futures: a task's exception nobody handles") {
  weft::ThreadPoolExecutor executor(3);
  std::vector<weft::Future<std::string>> futures;
  for (const std::string& url : kUrls) futures.push_back(executor.submit(risky_fetch, url));
  for (weft::Future<std::string>& f : futures) seed::say("  OK: " + f.get());  // throws
}
