// ProcessPoolExecutor for real (worker processes) and in the model: results of many types,
// RemoteError, cancel, map order, as_completed, a worker killed -> BrokenProcessPool without a
// hang or a zombie, workers started from a process that has threads, fds as arguments, and a
// pool program whose wrong assumption exploration finds.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "helpers.hpp"
#include "proc_helpers.hpp"

TEST_SUITE_BEGIN("process/process_pool");

using namespace std::chrono_literals;

namespace proc_test {

struct ConnectionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Stats {
  std::string label;
  std::vector<double> samples;
  bool operator==(const Stats&) const = default;
};
void serialize(weft::Writer& w, const Stats& s) {
  weft::serialize(w, s.label);
  weft::serialize(w, s.samples);
}
void deserialize(weft::Reader& r, Stats& s) {
  weft::deserialize(r, s.label);
  weft::deserialize(r, s.samples);
}

}  // namespace proc_test

namespace {

// Initialized dynamically, before main: a worker must see it (its hook runs after the
// program's own static initializers).
const std::string kGreeting = std::string("hello from ") + "a static initializer";

int add(int a, int b) { return a + b; }
std::string shout(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return out + "!";
}
std::vector<std::string> split(std::string s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t sp = std::min(s.find(' ', at), s.size());
    out.push_back(s.substr(at, sp - at));
    at = sp + 1;
  }
  return out;
}
std::tuple<int, double, std::optional<std::string>> triple(int x) {
  return {x, x / 2.0, x % 2 == 0 ? std::optional<std::string>("even") : std::nullopt};
}
proc_test::Stats summarize(proc_test::Stats s) {
  s.label += " (summarized)";
  s.samples.push_back(static_cast<double>(s.samples.size()));
  return s;
}
std::string greeting() { return kGreeting; }
int worker_pid() { return static_cast<int>(::getpid()); }
void do_nothing() {}
int square(int x) { return x * x; }

int fails(int x) {
  if (x == 1) throw proc_test::ConnectionError("Cannot connect to badurl");
  if (x == 2) throw std::out_of_range("index 7 out of range");
  if (x == 3) throw 42;  // not a std::exception
  return x;
}
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int die_by_sigkill(int after_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
  ::kill(::getpid(), SIGKILL);
  std::this_thread::sleep_for(10s);
  return 0;
}
int aborts(int) { std::abort(); }
int exits_quietly(int code) { std::_Exit(code); }

int write_to(proc_helpers::Fd end, std::string text) {
  const auto n = ::write(end.fd, text.data(), text.size());
  ::close(end.fd);
  return static_cast<int>(n);
}

using proc_helpers::reaped;

}  // namespace

TEST_CASE("proc_pool_returns_results_of_many_types") {
  weft::ProcessPoolExecutor pool(2);
  auto a = pool.submit(add, 2, 3);
  auto b = pool.submit(shout, "hey");  // const char* converted to the std::string parameter
  auto c = pool.submit(split, std::string("a bb  ccc"));
  auto d = pool.submit(triple, 4);
  auto e = pool.submit(triple, 3);
  auto f = pool.submit(summarize, proc_test::Stats{"run", {1.5, 2.5}});
  auto g = pool.submit(do_nothing);
  auto h = pool.submit([](int x) { return x * 10; }, 7);  // a lambda without captures
  auto i = pool.submit(greeting);
  CHECK(a.get() == 5);
  CHECK(b.get() == "HEY!");
  CHECK(c.get() == std::vector<std::string>{"a", "bb", "", "ccc"});
  CHECK(d.get() == std::make_tuple(4, 2.0, std::optional<std::string>("even")));
  CHECK(e.get() == std::make_tuple(3, 1.5, std::optional<std::string>()));
  CHECK(f.get() == proc_test::Stats{"run (summarized)", {1.5, 2.5, 2.0}});
  g.get();
  CHECK(h.get() == 70);
  CHECK(i.get() == kGreeting);
  CHECK(worker_pid() != pool.submit(worker_pid).get());  // it really ran elsewhere
}

TEST_CASE("proc_pool_task_exceptions_arrive_as_remote_error") {
  weft::ProcessPoolExecutor pool(2);
  auto conn = pool.submit(fails, 1);
  auto range = pool.submit(fails, 2);
  auto odd = pool.submit(fails, 3);
  auto fine = pool.submit(fails, 4);
  try {
    conn.get();
    FAIL("no exception");
  } catch (const weft::RemoteError& e) {
    CHECK(e.type_name() == "proc_test::ConnectionError");
    CHECK(std::string(e.what()) == "Cannot connect to badurl");
  }
  try {
    range.get();
    FAIL("no exception");
  } catch (const weft::RemoteError& e) {
    CHECK(e.type_name() == "std::out_of_range");
    CHECK(std::string(e.what()) == "index 7 out of range");
  }
  CHECK_THROWS_AS(odd.get(), weft::RemoteError);
  try {
    odd.get();
  } catch (const weft::RemoteError& e) {
    CHECK(e.type_name() == "int");
  }
  CHECK(fine.get() == 4);
  // The pool is not broken by exceptions.
  CHECK(pool.submit(add, 1, 1).get() == 2);
}

TEST_CASE("proc_pool_map_keeps_input_order_and_cancel_stops_pending_tasks") {
  weft::ProcessPoolExecutor pool(2);
  std::vector<int> xs(300);
  for (int k = 0; k < 300; ++k) xs[static_cast<std::size_t>(k)] = k;
  const std::vector<int> squares = pool.map(square, xs);
  REQUIRE(squares.size() == xs.size());
  for (std::size_t k = 0; k < xs.size(); ++k) CHECK(squares[k] == xs[k] * xs[k]);
  CHECK_THROWS_AS(pool.map(fails, std::vector<int>{0, 5, 1, 6}), weft::RemoteError);

  weft::ProcessPoolExecutor one(1);
  auto slow = one.submit(sleep_ms, 300);
  std::vector<weft::Future<int>> queued;
  for (int k = 0; k < 200; ++k) queued.push_back(one.submit(square, k));
  // The last ones are still pending (at most 64 are handed to the worker ahead).
  CHECK(queued.back().cancel());
  CHECK(queued.back().cancelled());
  CHECK_THROWS_AS(queued.back().get(), weft::CancelledError);
  CHECK(slow.get() == 300);
  for (std::size_t k = 0; k + 1 < queued.size(); ++k) CHECK(queued[k].get() == int(k * k));
}

TEST_CASE("proc_pool_as_completed_yields_in_completion_order") {
  weft::ProcessPoolExecutor pool(2);
  std::vector<weft::Future<int>> fs;
  fs.push_back(pool.submit(sleep_ms, 150));
  fs.push_back(pool.submit(sleep_ms, 5));
  std::vector<int> order;
  for (weft::Future<int>& f : weft::as_completed(fs)) order.push_back(f.get());
  CHECK(order == std::vector<int>{5, 150});
}

TEST_CASE("proc_pool_a_result_is_not_held_back_by_the_long_task_after_it") {
  // One worker gets first, quick and slow in one read: quick's result is batched for a moment,
  // but must not wait for slow to end. Many quick tasks first, so that the pool hands this
  // worker several tasks ahead (it sends one at a time to a worker whose tasks are long).
  weft::ProcessPoolExecutor pool(1);
  std::vector<int> warm(400);
  for (int& x : warm) x = 3;
  for (int r : pool.map(square, warm)) REQUIRE(r == 9);
  auto first = pool.submit(sleep_ms, 50);
  auto quick = pool.submit(square, 9);
  auto slow = pool.submit(sleep_ms, 700);
  CHECK(quick.wait_for(400ms));
  CHECK(!slow.done());
  CHECK(quick.get() == 81);
  CHECK(slow.get() == 700);
}

TEST_CASE("proc_pool_short_tasks_do_not_wait_behind_a_long_one_while_a_worker_is_free") {
  // Python's pool queues about one task ahead per worker; a pool that handed tasks out ahead
  // regardless of their length would put every other short task behind the long one.
  weft::ProcessPoolExecutor pool(2);
  SUBCASE("a fresh pool") {}
  SUBCASE("a pool whose workers were handed 64 tasks ahead a moment ago") {
    std::vector<int> warm(2000, 3);
    for (int r : pool.map(square, warm)) REQUIRE(r == 9);
  }
  auto slow = pool.submit(sleep_ms, 1500);
  std::vector<weft::Future<int>> quick;
  for (int k = 0; k < 10; ++k) quick.push_back(pool.submit(sleep_ms, 2));
  for (weft::Future<int>& f : quick) CHECK(f.wait_for(1000ms));
  CHECK(!slow.done());
  for (weft::Future<int>& f : quick) CHECK(f.get() == 2);
  CHECK(slow.get() == 1500);
}

TEST_CASE("proc_pool_done_callback_in_the_io_thread_may_wait_for_a_task_not_yet_sent") {
  // Nobody calls a.get(): a's callback runs in the pool's I/O thread, and waits for c, which
  // is still pending then (one task ahead for a worker whose tasks take milliseconds). The
  // waiting I/O thread must go on reading results and sending tasks, or nothing ever does.
  weft::ProcessPoolExecutor one(1);
  auto a = one.submit(sleep_ms, 30);
  auto b = one.submit(sleep_ms, 10);
  auto c = one.submit(sleep_ms, 20);
  std::atomic<int> seen{0};
  a.add_done_callback([&](weft::Future<int>&) { seen = c.get(); });
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (seen == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  REQUIRE(seen == 20);
  CHECK(b.get() == 10);
  CHECK(a.get() == 30);
}

TEST_CASE("proc_pool_shutdown_rejects_new_tasks_and_cancel_futures_cancels_pending") {
  weft::ProcessPoolExecutor pool(1);
  auto slow = pool.submit(sleep_ms, 200);
  while (!slow.running()) std::this_thread::sleep_for(1ms);  // the worker has it
  std::vector<weft::Future<int>> rest;
  for (int k = 0; k < 100; ++k) rest.push_back(pool.submit(square, k));
  pool.shutdown(true, true);
  CHECK(slow.get() == 200);
  CHECK(rest.back().cancelled());
  CHECK_THROWS_WITH_AS(pool.submit(square, 1), doctest::Contains("after shutdown"),
                       std::runtime_error);
}

TEST_CASE("proc_pool_worker_killed_breaks_the_pool_without_hang_or_zombie") {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> pids;
  {
    weft::ProcessPoolExecutor pool(2);
    std::vector<weft::Future<int>> who;
    for (int k = 0; k < 8; ++k) who.push_back(pool.submit(worker_pid));
    for (auto& f : who) pids.push_back(f.get());
    auto blocker = pool.submit(sleep_ms, 200);
    auto victim = pool.submit(die_by_sigkill, 100);  // after the submits below
    std::vector<weft::Future<int>> pending;
    for (int k = 0; k < 300; ++k) pending.push_back(pool.submit(sleep_ms, 1));
    CHECK_THROWS_WITH_AS(victim.get(), doctest::Contains("signal 9"), weft::BrokenProcessPool);
    std::size_t broken = 0;
    for (auto& f : pending) {
      try {
        f.get();
      } catch (const weft::BrokenProcessPool&) {
        ++broken;
      }
    }
    CHECK(broken > 0);  // at least those still pending when it died
    // The other worker was stopped as well; its task either finished or failed, never hangs.
    try {
      blocker.get();
    } catch (const weft::BrokenProcessPool&) {
    }
    CHECK_THROWS_AS(pool.submit(square, 2), weft::BrokenProcessPool);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  REQUIRE(!pids.empty());
  for (const int pid : pids) CHECK(reaped(pid));
}

TEST_CASE("proc_pool_worker_that_aborts_or_exits_breaks_the_pool") {
  {
    weft::ProcessPoolExecutor pool(1);
    auto f = pool.submit(aborts, 0);
    CHECK_THROWS_WITH_AS(f.get(), doctest::Contains("signal 6"), weft::BrokenProcessPool);
    CHECK_THROWS_AS(pool.submit(square, 1), weft::BrokenProcessPool);
  }
  {
    weft::ProcessPoolExecutor pool(2);
    auto f = pool.submit(exits_quietly, 3);
    CHECK_THROWS_WITH_AS(f.get(), doctest::Contains("exit status 3"), weft::BrokenProcessPool);
  }
}

TEST_CASE("proc_pool_starts_workers_from_a_process_with_running_threads") {
  // Threads that hold a lock and keep running while the workers start: fork() would copy the
  // held lock into the child; a re-executed worker starts clean.
  std::mutex held;
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
  std::vector<std::thread> busy;
  for (int t = 0; t < 3; ++t) {
    busy.emplace_back([&] {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return stop; });
    });
  }
  std::lock_guard hold(held);
  std::vector<int> pids;
  {
    weft::ProcessPoolExecutor pool(2);
    std::vector<weft::Future<std::string>> fs;
    for (int k = 0; k < 20; ++k) fs.push_back(pool.submit(greeting));
    for (auto& f : fs) CHECK(f.get() == kGreeting);
    pids.push_back(pool.submit(worker_pid).get());
  }
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  for (auto& t : busy) t.join();
  for (const int pid : pids) CHECK(reaped(pid));
}

TEST_CASE("proc_pool_passes_file_descriptors_to_tasks") {
  int sp[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
  {
    weft::ProcessPoolExecutor pool(1);
    CHECK(pool.submit(write_to, proc_helpers::Fd{sp[1]}, "through an fd").get() == 13);
  }
  ::close(sp[1]);
  char buf[64] = {};
  CHECK(::read(sp[0], buf, sizeof buf) == 13);
  CHECK(std::string(buf) == "through an fd");
  ::close(sp[0]);
}

namespace {

// The same pool program in both modes. `assume_order`: the (wrong) belief that as_completed
// yields results in submission order.
std::vector<int> collect_squares(bool assume_order) {
  weft::ProcessPoolExecutor pool(2);
  std::vector<weft::Future<int>> fs;
  for (int k = 1; k <= 3; ++k) fs.push_back(pool.submit(square, k));
  std::vector<int> got;
  for (weft::Future<int>& f : weft::as_completed(fs)) got.push_back(f.get());
  if (assume_order) WEFT_ASSERT(got == (std::vector<int>{1, 4, 9}));
  std::sort(got.begin(), got.end());
  WEFT_ASSERT(got == (std::vector<int>{1, 4, 9}));
  return got;
}

int remote_fail(int x) {
  if (x > 1) throw proc_test::ConnectionError("remote " + std::to_string(x));
  return x;
}

}  // namespace

TEST_CASE("proc_pool_program_explored_in_the_model_and_run_for_real") {
  CHECK(collect_squares(false) == std::vector<int>{1, 4, 9});

  const weft::Report wrong =
      weft::explore([] { collect_squares(true); }, weft_test::with(weft::Strategy::PCT, 60));
  CHECK(wrong.found(weft::BugKind::AssertionFailure));

  const weft::Report right =
      weft::explore([] { collect_squares(false); }, weft_test::with(weft::Strategy::PCT, 30));
  CHECK_MESSAGE(right.ok(), right.summary());
}

// In the model a process pool runs on the thread pool's machinery, but traces and reports call
// it what it is.
TEST_CASE("proc_pool_model_is_named_process_pool_in_traces") {
  weft::Options o = weft_test::with(weft::Strategy::PCT, 60);
  o.internal_steps = true;
  const weft::Report r = weft::explore([] { collect_squares(true); }, o);
  REQUIRE(r.found(weft::BugKind::AssertionFailure));
  const std::string& trace = r.bugs.front().trace;
  CHECK_MESSAGE(trace.find("ProcessPoolExecutor@test_process_pool.cpp:") != std::string::npos,
                trace);
  CHECK(trace.find("ThreadPoolExecutor") == std::string::npos);
  CHECK(trace.find("process_0") != std::string::npos);
}

TEST_CASE("proc_pool_in_the_model_copies_arguments_and_raises_remote_error") {
  const weft::Report r = weft::explore(
      [] {
        weft::ProcessPoolExecutor pool(2);
        auto ok = pool.submit(remote_fail, 1);
        auto bad = pool.submit(remote_fail, 2);
        auto text = pool.submit(shout, "model");
        WEFT_ASSERT(ok.get() == 1);
        WEFT_ASSERT(text.get() == "MODEL!");
        std::string type;
        std::string what;
        try {
          bad.get();
        } catch (const weft::RemoteError& e) {
          type = e.type_name();
          what = e.what();
        }
        WEFT_ASSERT(type == "proc_test::ConnectionError");
        WEFT_ASSERT(what == "remote 2");
      },
      weft_test::with(weft::Strategy::Random, 100));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("proc_pool_used_in_the_other_mode_is_a_usage_error") {
  weft::ProcessPoolExecutor real(1);
  bool threw = false;
  const weft::Report r = weft::explore(
      [&] {
        try {
          real.submit(square, 2);
        } catch (const weft::UsageError& e) {
          threw = std::string(e.what()).find("ProcessPoolExecutor") != std::string::npos;
        }
      },
      weft_test::with(weft::Strategy::Random, 1));
  CHECK(threw);
  CHECK(r.ok());
}

namespace {

// In a child process: a pool whose workers are busy for long, their pids written to `out`,
// then wait to be killed.
void pool_then_wait(proc_helpers::Fd out) {
  weft::ProcessPoolExecutor pool(2);
  std::vector<weft::Future<int>> fs;
  for (int k = 0; k < 8; ++k) fs.push_back(pool.submit(worker_pid));
  std::set<int> pids;
  for (auto& f : fs) pids.insert(f.get());
  // Both workers busy: only PR_SET_PDEATHSIG (not the end of their input) can stop them soon.
  auto busy1 = pool.submit(sleep_ms, 30000);
  auto busy2 = pool.submit(sleep_ms, 30000);
  while (!busy1.running() || !busy2.running()) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);  // and inside the task
  for (const int pid : pids) {
    [[maybe_unused]] const auto n = ::write(out.fd, &pid, sizeof pid);
  }
  ::close(out.fd);
  std::this_thread::sleep_for(30s);
}

// Gone, or a zombie nobody reaps (an orphan's new parent may not reap in a container).
bool dead(int pid) {
  if (::kill(pid, 0) == -1 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || line.compare(paren + 2, 1, "Z") == 0;
}

}  // namespace

TEST_CASE("proc_pool_workers_die_with_their_parent") {
  int sp[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
  weft::Process parent(pool_then_wait, proc_helpers::Fd{sp[1]});
  ::close(sp[1]);
  parent.start();
  std::vector<int> workers;
  int pid = 0;
  while (::read(sp[0], &pid, sizeof pid) == sizeof pid) workers.push_back(pid);
  ::close(sp[0]);
  REQUIRE(!workers.empty());
  for (const int w : workers) CHECK(!dead(w));
  parent.kill();
  parent.join();
  CHECK(parent.exitcode() == -SIGKILL);
  // PR_SET_PDEATHSIG: the orphaned workers are killed at once.
  const auto until = std::chrono::steady_clock::now() + 5s;
  for (const int w : workers) {
    while (!dead(w) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    CHECK(dead(w));
  }
}

TEST_CASE("proc_pool_released_by_its_own_done_callback") {
  // The last reference to the executor dies in a callback on the pool's I/O thread: the
  // executor cannot join that thread from itself; the thread finishes the work and cleans up.
  auto pool = std::make_shared<weft::ProcessPoolExecutor>(1);
  const int pid = pool->submit(worker_pid).get();
  auto f = pool->submit(sleep_ms, 50);  // still running when the callback is added
  std::atomic<bool> ran{false};
  f.add_done_callback([&pool, &ran](weft::Future<int>&) {
    pool.reset();
    ran = true;
  });
  const auto until = std::chrono::steady_clock::now() + 5s;
  while ((!ran || !reaped(pid)) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(2ms);
  }
  CHECK(ran);
  CHECK(reaped(pid));
  CHECK(f.get() == 50);
}

// A thread waiting in get() reads its worker's results itself (no hop through the pool's I/O
// thread); these pin down what must still hold when it does.
TEST_CASE("proc_pool_waiting_thread_reads_results_itself") {
  weft::ProcessPoolExecutor pool(2);
  SUBCASE("one at a time, each result is its own") {
    for (int k = 0; k < 300; ++k) REQUIRE(pool.submit(square, k).get() == k * k);
  }
  SUBCASE("a done-callback run by the reading thread may wait for the same worker") {
    // f2 queues behind f1 on the one busy worker: f1's callback runs in the thread that read
    // f1's result, and must be able to wait for f2 (read after the socket was handed back).
    weft::ProcessPoolExecutor one(1);
    auto f1 = one.submit(sleep_ms, 30);
    auto f2 = one.submit(sleep_ms, 40);
    std::atomic<int> seen{0};
    f1.add_done_callback([&](weft::Future<int>&) { seen = f2.get(); });
    CHECK(f1.get() == 30);
    // get() returns once f1 is done; the callback may still run in the pool's I/O thread.
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (seen == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    CHECK(seen == 40);
  }
  SUBCASE("several threads wait for the same and for other futures") {
    auto a = pool.submit(sleep_ms, 60);
    auto b = pool.submit(sleep_ms, 20);
    std::vector<int> got(4, 0);
    std::vector<std::thread> ts;
    for (int k = 0; k < 3; ++k) ts.emplace_back([&, k] { got[k] = a.get(); });
    ts.emplace_back([&] { got[3] = b.get(); });
    for (auto& t : ts) t.join();
    CHECK(got == std::vector<int>{60, 60, 60, 20});
  }
  SUBCASE("a timed wait keeps its timeout while another thread reads") {
    auto f = pool.submit(sleep_ms, 300);
    int got = 0;
    std::thread reader([&] { got = f.get(); });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(!f.wait_for(30ms));
    CHECK(std::chrono::steady_clock::now() - t0 < 250ms);
    reader.join();
    CHECK(got == 300);
  }
}

TEST_CASE("proc_pool_worker_dying_while_a_thread_reads_its_socket_breaks_the_pool") {
  weft::ProcessPoolExecutor pool(2);
  REQUIRE(pool.submit(square, 3).get() == 9);
  auto f = pool.submit(die_by_sigkill, 50);  // get() is reading the socket when it dies
  CHECK_THROWS_WITH_AS(f.get(), doctest::Contains("signal 9"), weft::BrokenProcessPool);
  CHECK_THROWS_AS(pool.submit(square, 1), weft::BrokenProcessPool);
}

namespace {
weft::ipc::Value<long> value_after(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return weft::ipc::Value<long>(7L);
}
int int_after(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
long sum_all(std::vector<weft::ipc::Value<long>> values) {
  long sum = 0;
  for (auto& v : values) sum += v.load();
  return sum;
}
}  // namespace

TEST_CASE("proc_pool_a_result_after_one_carrying_a_descriptor_is_not_stalled") {
  // A read of the worker's socket comes back short at a result carrying a descriptor; the
  // result behind it must still be read, though no new readiness edge comes for it.
  weft::ProcessPoolExecutor pool(1);
  REQUIRE(pool.submit(int_after, 0).get() == 0);  // the worker is up
  weft::Future<int> first = pool.submit(int_after, 1);
  // Keeps whichever thread completes `first` busy while the next two results arrive.
  first.add_done_callback(
      [](weft::Future<int>&) { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  weft::Future<weft::ipc::Value<long>> handle = pool.submit(value_after, 20);
  weft::Future<int> plain = pool.submit(int_after, 40);
  REQUIRE(plain.wait_for(std::chrono::seconds(10)));
  CHECK(plain.get() == 40);
  CHECK(handle.get().load() == 7);
}

TEST_CASE("proc_more_descriptors_than_one_sendmsg_carries_arrive_whole") {
  // 300 handles: more than the 253 descriptors one message may carry, both ways in one task.
  std::vector<weft::ipc::Value<long>> values;
  for (long i = 0; i < 300; ++i) values.emplace_back(i);
  weft::ProcessPoolExecutor pool(1);
  CHECK(pool.submit(sum_all, values).get() == 299L * 300L / 2);
  weft::Process p(sum_all, values);
  p.start();
  p.join();
  CHECK(p.exitcode() == 0);
}

TEST_SUITE_END();
