// weft::Process for real and in the model: Python's exitcode (0, 1 after an exception, N from
// exit, -N for a signal), join_for timeouts, terminate/kill, arguments (fds included), misuse,
// and no zombie left behind.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "proc_helpers.hpp"

TEST_SUITE_BEGIN("process/process");

using namespace std::chrono_literals;

namespace {

void report(proc_helpers::Fd out, std::string word, std::vector<int> xs) {
  std::string line = word;
  for (int x : xs) line += " " + std::to_string(x);
  [[maybe_unused]] const auto n = ::write(out.fd, line.data(), line.size());
  ::close(out.fd);
}
void returns() {}
void throws(std::string why) { throw std::invalid_argument(why); }
void exits(int code) { std::exit(code); }
void sleeps(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
void checks(int x) { WEFT_ASSERT(x == 0); }
void naps(int ms) { weft::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

using proc_helpers::reaped;

}  // namespace

TEST_CASE("proc_process_exitcode_follows_python") {
  weft::Process ok(returns);
  CHECK(ok.name().rfind("Process-", 0) == 0);
  CHECK(!ok.exitcode());
  CHECK(!ok.is_alive());
  ok.start();
  ok.join();
  CHECK(ok.exitcode() == 0);
  CHECK(!ok.is_alive());

  // The child inherits our stderr: point it at a memfd for the duration, then read it back.
  const int capture = ::memfd_create("stderr", MFD_CLOEXEC);
  REQUIRE(capture >= 0);
  const int saved = ::dup(2);
  ::dup2(capture, 2);
  weft::Process bad(throws, "no such file");
  bad.set_name("loader");
  bad.start();
  bad.join();
  ::dup2(saved, 2);
  ::close(saved);
  CHECK(bad.exitcode() == 1);
  char text[256] = {};
  CHECK(::pread(capture, text, sizeof text - 1, 0) > 0);
  ::close(capture);
  CHECK(std::string(text) == "Process loader: std::invalid_argument: no such file\n");

  weft::Process three(exits, 3);
  three.start();
  three.join();
  CHECK(three.exitcode() == 3);
}

TEST_CASE("proc_process_terminate_kill_and_join_for") {
  weft::Process t(sleeps, 10000);
  t.start();
  CHECK(t.is_alive());
  CHECK(!t.join_for(50ms));
  CHECK(!t.exitcode());
  t.terminate();
  CHECK(t.join_for(5s));
  CHECK(t.exitcode() == -SIGTERM);
  t.terminate();  // ended: no effect

  weft::Process k(sleeps, 10000);
  k.start();
  k.kill();
  k.join();
  CHECK(k.exitcode() == -SIGKILL);

  weft::Process quick(sleeps, 1);
  quick.start();
  CHECK(quick.join_for(5s));
  CHECK(quick.exitcode() == 0);
}

TEST_CASE("proc_process_receives_its_arguments_and_fds") {
  int sp[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
  weft::Process p(report, proc_helpers::Fd{sp[1]}, "sum", std::vector<int>{1, 2, 3});
  ::close(sp[1]);  // the Process holds its own duplicate until it starts
  p.start();
  p.join();
  CHECK(p.exitcode() == 0);
  char buf[64] = {};
  CHECK(::read(sp[0], buf, sizeof buf) > 0);
  CHECK(std::string(buf) == "sum 1 2 3");
  ::close(sp[0]);
}

TEST_CASE("proc_process_misuse_throws_logic_error") {
  weft::Process p(returns);
  CHECK_THROWS_AS(p.join(), std::logic_error);
  CHECK_THROWS_AS(p.terminate(), std::logic_error);
  p.start();
  CHECK_THROWS_WITH_AS(p.start(), doctest::Contains("started already"), std::logic_error);
  p.join();
  p.join();  // joining again is fine, as in Python
  CHECK(p.exitcode() == 0);
}

TEST_CASE("proc_processes_move_into_a_vector") {
  std::vector<weft::Process> ps;
  for (int code = 0; code < 5; ++code) ps.emplace_back(exits, code);  // reallocates: moves
  for (weft::Process& p : ps) p.start();
  std::vector<int> pids;
  for (weft::Process& p : ps) pids.push_back(p.pid());
  weft::Process first = std::move(ps.front());
  ps.front() = weft::Process(exits, 9);  // a moved-from shell takes a new process
  first.join();
  CHECK(first.exitcode() == 0);
  for (std::size_t i = 1; i < ps.size(); ++i) {
    ps[i].join();
    CHECK(ps[i].exitcode() == static_cast<int>(i));
  }
  ps.clear();  // ps.front() never started: nothing to join
  for (const int pid : pids) CHECK(reaped(pid));
}

TEST_CASE("proc_process_destructor_joins_no_zombie_remains") {
  int pid = -1;
  {
    weft::Process p(sleeps, 20);
    p.start();
    pid = p.pid();
    REQUIRE(pid > 0);
  }
  CHECK(reaped(pid));
}

namespace {
int model_exitcodes() {
  weft::Process ok(returns);
  weft::Process bad(throws, "model");
  ok.start();
  bad.start();
  ok.join();
  WEFT_ASSERT(ok.exitcode() == 0);
  WEFT_ASSERT(bad.join_for(1s));
  WEFT_ASSERT(bad.exitcode() == 1);
  bad.terminate();  // ended: no effect
  return 0;
}
}  // namespace

TEST_CASE("proc_process_in_the_model") {
  const weft::Report r =
      weft::explore([] { model_exitcodes(); }, weft_test::with(weft::Strategy::Random, 100));
  CHECK_MESSAGE(r.ok(), r.summary());

  // Joining a process that was never started is a Misuse bug there.
  const weft::Report misuse = weft::explore(
      [] {
        weft::Process p(returns);
        p.join();
      },
      weft_test::with(weft::Strategy::Random, 10));
  CHECK(weft_test::only_bug(misuse).kind == weft::BugKind::Misuse);

  // A named process names its model thread in traces.
  const weft::Report named = weft::explore(
      [] {
        weft::Process p(checks, 1);
        p.set_name("checker");
        p.start();
        p.join();
      },
      weft_test::with(weft::Strategy::Random, 5));
  const weft::Bug bug = weft_test::only_bug(named);
  CHECK(bug.kind == weft::BugKind::AssertionFailure);
  CHECK(bug.trace.find("checker") != std::string::npos);

  // A running model process cannot be terminated: a clear UsageError, not a silent no-op.
  const weft::Report running = weft::explore(
      [] {
        weft::Process p(naps, 1000);
        p.start();
        p.terminate();
        p.join();
      },
      weft_test::with(weft::Strategy::Random, 10));
  REQUIRE(!running.ok());
  CHECK(running.bugs[0].message.find("not modelled") != std::string::npos);
}

TEST_CASE("proc_process_used_in_the_other_mode_is_a_usage_error") {
  weft::Process real(returns);
  int usage_errors = 0;
  const weft::Report r = weft::explore(
      [&] {
        for (int k = 0; k < 3; ++k) {
          try {
            if (k == 0) real.start();
            if (k == 1) real.join();
            if (k == 2) (void)real.exitcode();
          } catch (const weft::UsageError&) {
            ++usage_errors;
          }
        }
      },
      weft_test::with(weft::Strategy::Random, 1));
  CHECK(r.ok());
  // One schedule, and one probe run looking for racy Shared<T> sites (SharedPoints::Racy),
  // which stops at once for a body without any.
  CHECK(usage_errors == 6);
  CHECK(real.pid() == -1);  // never started
}

TEST_SUITE_END();
