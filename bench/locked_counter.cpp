#include "locked_counter.hpp"

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace weftbench {
namespace {

// WEFT_MEMORY_MODEL=sc measures the same programs with every atomic operation seq_cst, as the
// CLI reads it: the default (C11) keeps happens-before in the runtime for every lock too.
weft::MemoryModel memory_model() {
  const char* v = std::getenv("WEFT_MEMORY_MODEL");
  return v != nullptr && std::string(v) == "sc" ? weft::MemoryModel::SC : weft::MemoryModel::C11;
}

// `Threads` threads x 10 locked increments of a Shared<int>.
template <int Threads>
void shared_counter_body() {
  weft::Mutex m;
  weft::Shared<int> counter(0);
  auto work = [&] {
    for (int i = 0; i < 10; ++i) {
      std::lock_guard<weft::Mutex> g(m);
      counter.store(counter.load() + 1);
    }
  };
  std::vector<weft::Thread> threads;
  threads.reserve(Threads);
  for (int t = 0; t < Threads; ++t) threads.emplace_back(work);
  for (weft::Thread& t : threads) t.join();
  WEFT_ASSERT(counter.load() == 10 * Threads);
}
void shared_body() { shared_counter_body<2>(); }

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
           bool checkers = true, weft::SharedPoints shared = weft::SharedPoints::Racy) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = iterations;
  o.checkers = checkers;
  o.shared_points = shared;
  o.max_steps = points;
  o.memory_model = memory_model();
  weft::Report r;
  const double s = bench::seconds([&] { r = weft::explore(body, o); });
  if (!r.ok() || r.iterations != iterations) bench::die(std::string(what) + ": " + r.summary());
  return s;
}

void check(void (*body)(), std::uint64_t points, const char* what,
           weft::SharedPoints shared = weft::SharedPoints::Racy) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = 3;
  o.shared_points = shared;
  o.max_steps = points - 1;
  if (!weft::explore(body, o).found(weft::BugKind::StepLimitExceeded)) {
    bench::die(std::string(what) + ": fewer scheduling points than counted");
  }
  run(body, points, 3, what, true, shared);
}

void buffer_body() {
  weft::Mutex m;
  weft::CondVar not_full;
  weft::CondVar not_empty;
  weft::Shared<int> count(0);
  weft::Shared<int> taken(0);
  auto produce = [&] {
    for (int k = 0; k < 5; ++k) {
      std::unique_lock<weft::Mutex> lock(m);
      while (count.load() == 2) not_full.wait(lock);
      count.store(count.load() + 1);
      not_empty.notify_one();
    }
  };
  auto consume = [&] {
    for (int k = 0; k < 5; ++k) {
      std::unique_lock<weft::Mutex> lock(m);
      while (count.load() == 0) not_empty.wait(lock);
      count.store(count.load() - 1);
      taken.store(taken.load() + 1);
      not_full.notify_one();
    }
  };
  weft::Thread p1(produce);
  weft::Thread p2(produce);
  weft::Thread c1(consume);
  weft::Thread c2(consume);
  p1.join();
  p2.join();
  c1.join();
  c2.join();
  WEFT_ASSERT(count.load() == 0 && taken.load() == 10);
}

double run_program(void (*body)(), std::uint64_t iterations, weft::SharedPoints points,
                   const char* what) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = iterations;
  o.shared_points = points;
  o.memory_model = memory_model();
  weft::Report r;
  const double s = bench::seconds([&] { r = weft::explore(body, o); });
  if (!r.ok() || r.iterations != iterations) bench::die(std::string(what) + ": " + r.summary());
  return s;
}

}  // namespace

double weft_counter3(std::uint64_t iterations, weft::SharedPoints points) {
  return run_program(shared_counter_body<3>, iterations, points, "weft 3-thread counter");
}
double weft_buffer(std::uint64_t iterations, weft::SharedPoints points) {
  return run_program(buffer_body, iterations, points, "weft bounded buffer");
}

double weft_counter_shared(std::uint64_t iterations, bool checkers) {
  // Without checkers every access is a point (there is no race information).
  return run(shared_body, checkers ? kSharedCounterPoints : kSharedAllCounterPoints, iterations,
             "weft Shared<int> counter", checkers);
}
double weft_counter_shared_all(std::uint64_t iterations) {
  return run(shared_body, kSharedAllCounterPoints, iterations, "weft Shared<int> counter (All)",
             true, weft::SharedPoints::All);
}
double weft_counter_plain(std::uint64_t iterations, bool checkers) {
  return run(plain_body, kPlainCounterPoints, iterations, "weft plain int counter", checkers);
}
void check_counter_points() {
  check(shared_body, kSharedCounterPoints, "weft Shared<int> counter");
  check(shared_body, kSharedAllCounterPoints, "weft Shared<int> counter (All)",
        weft::SharedPoints::All);
  check(plain_body, kPlainCounterPoints, "weft plain int counter");
}

}  // namespace weftbench
