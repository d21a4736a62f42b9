#include "locked_counter.hpp"

#include <mutex>
#include <string>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace weftbench {
namespace {

void shared_body() {
  weft::Mutex m;
  weft::Shared<int> counter(0);
  auto work = [&] {
    for (int i = 0; i < 10; ++i) {
      std::lock_guard<weft::Mutex> g(m);
      counter.store(counter.load() + 1);
    }
  };
  weft::Thread a(work);
  weft::Thread b(work);
  a.join();
  b.join();
  WEFT_ASSERT(counter.load() == 20);
}

void plain_body() {
  weft::Mutex m;
  int counter = 0;
  auto work = [&] {
    for (int i = 0; i < 10; ++i) {
      std::lock_guard<weft::Mutex> g(m);
      counter = counter + 1;
    }
  };
  weft::Thread a(work);
  weft::Thread b(work);
  a.join();
  b.join();
  WEFT_ASSERT(counter == 20);
}

double run(void (*body)(), std::uint64_t points, std::uint64_t iterations, const char* what,
           bool checkers = true) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = iterations;
  o.checkers = checkers;
  o.max_steps = points;
  weft::Report r;
  const double s = bench::seconds([&] { r = weft::explore(body, o); });
  if (!r.ok() || r.iterations != iterations) bench::die(std::string(what) + ": " + r.summary());
  return s;
}

void check(void (*body)(), std::uint64_t points, const char* what) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = 3;
  o.max_steps = points - 1;
  if (!weft::explore(body, o).found(weft::BugKind::StepLimitExceeded)) {
    bench::die(std::string(what) + ": fewer scheduling points than counted");
  }
  run(body, points, 3, what);
}

}  // namespace

double weft_counter_shared(std::uint64_t iterations, bool checkers) {
  return run(shared_body, kSharedCounterPoints, iterations, "weft Shared<int> counter", checkers);
}
double weft_counter_plain(std::uint64_t iterations, bool checkers) {
  return run(plain_body, kPlainCounterPoints, iterations, "weft plain int counter", checkers);
}
void check_counter_points() {
  check(shared_body, kSharedCounterPoints, "weft Shared<int> counter");
  check(plain_body, kPlainCounterPoints, "weft plain int counter");
}

}  // namespace weftbench
