// Lock-order checking in production (weft/lockdep.hpp): real mutexes on real threads, outside
// explore(). Threads run one after the other (each is joined before the next starts), so no case
// can really deadlock: lockdep finds the inversion from the orders alone. Every case starts from
// an empty graph and puts the mode back as it found it. Cases named proc_* fork.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "helpers.hpp"

TEST_SUITE_BEGIN("instrument/lockdep");

using weft::LockdepMode;
using weft_test::contains;
using namespace std::chrono_literals;

namespace {

// The mode for one case, on an empty graph; stderr goes to a file (lockdep prints its reports
// there), so that cases can read what was printed and the test log stays clean.
class LockdepCase {
 public:
  explicit LockdepCase(LockdepMode mode) : was_(weft::lockdep_mode()) {
    weft::detail::lockdep_reset();
    weft::set_lockdep(mode);
    std::fflush(stderr);
    file_ = std::tmpfile();
    REQUIRE(file_ != nullptr);
    saved_ = ::dup(2);
    ::dup2(::fileno(file_), 2);
  }
  ~LockdepCase() {
    restore();
    weft::set_lockdep(was_);
    weft::detail::lockdep_reset();
  }
  LockdepCase(const LockdepCase&) = delete;
  LockdepCase& operator=(const LockdepCase&) = delete;

  // What was printed on stderr so far.
  std::string printed() {
    std::fflush(stderr);
    std::string text;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) text += static_cast<char>(c);
    return text;
  }

 private:
  void restore() {
    if (file_ == nullptr) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    std::fclose(file_);
    file_ = nullptr;
  }
  LockdepMode was_;
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

// Runs f on a new OS thread and waits for it.
void on_thread(const std::function<void()>& f) { std::thread(f).join(); }

std::string at(unsigned line) { return "test_lockdep.cpp:" + std::to_string(line); }

// Runs `child` in a fork()ed process with its stderr in a pipe; returns the wait status and
// what the child printed.
std::pair<int, std::string> in_child(const std::function<void()>& child) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGABRT, SIG_DFL);  // doctest's crash handler would report the child as a test
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    child();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, buf + n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {status, text};
}

// On a new thread (joined before it returns): locks `locks` in this order, then unlocks them.
template <class... M>
void in_order(M&... locks) {
  on_thread([&] {
    (locks.lock(), ...);
    (locks.unlock(), ...);
  });
}

// Thread 1 takes a then b, thread 2 (after thread 1 ended) b then a.
void abba(weft::Mutex& a, weft::Mutex& b) {
  in_order(a, b);
  in_order(b, a);
}

}  // namespace

// Locks are declared one per line throughout: the line that constructs a lock is its class, and
// locks of one class have no order among themselves.

// Run first, and again by proc_lockdep_initial_mode_comes_from_the_environment in a child whose
// environment sets WEFT_LOCKDEP: the mode at start is the one the environment asks for.
TEST_CASE("lockdep_initial_mode_is_the_environments") {
  std::string warning;
  CHECK(weft::lockdep_mode() ==
        weft::detail::lockdep_mode_from_env(std::getenv("WEFT_LOCKDEP"), warning));
}

TEST_CASE("lockdep_abba_on_two_threads_is_reported_once_with_both_sites") {
  LockdepCase mode(LockdepMode::Report);
  const unsigned a_declared = __LINE__ + 1;
  weft::Mutex a;
  const unsigned b_declared = __LINE__ + 1;
  weft::Mutex b;
  unsigned l1 = 0, l2 = 0, l3 = 0, l4 = 0;
  for (int round = 0; round < 3; ++round) {  // the same inversion again: no second report
    on_thread([&] {
      a.lock(), l1 = __LINE__;
      b.lock(), l2 = __LINE__;
      b.unlock();
      a.unlock();
    });
    if (round == 0) CHECK(weft::lockdep_reports().empty());  // one order alone is fine
    on_thread([&] {
      b.lock(), l3 = __LINE__;
      a.lock(), l4 = __LINE__;
      a.unlock();
      b.unlock();
    });
  }
  const std::vector<std::string> reports = weft::lockdep_reports();
  REQUIRE(reports.size() == 1);
  const std::string& r = reports[0];
  INFO(r);
  CHECK(contains(r, "lock order inversion (potential deadlock) between 2 locks"));
  CHECK(contains(r, "Mutex@" + at(a_declared)));
  CHECK(contains(r, "Mutex@" + at(b_declared)));
  for (unsigned line : {l1, l2, l3, l4}) CHECK(contains(r, at(line)));
  CHECK(contains(r, "holds Mutex@" + at(a_declared) + " (locked at " + at(l1)));
  CHECK(contains(r, "waits for Mutex@" + at(a_declared) + " at " + at(l4)));
  CHECK(contains(r, "thread "));
  CHECK(contains(r, "(tid "));
  // Printed once on stderr, the same text.
  const std::string printed = mode.printed();
  CHECK(printed == "weft lockdep: " + r + "\n");
}

TEST_CASE("lockdep_three_lock_cycle_is_reported") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex a;
  weft::Mutex b;
  weft::Mutex c;
  auto nest = [](weft::Mutex& outer, weft::Mutex& inner) { in_order(outer, inner); };
  nest(a, b);
  nest(b, c);
  CHECK(weft::lockdep_reports().empty());
  nest(c, a);
  const std::vector<std::string> reports = weft::lockdep_reports();
  REQUIRE(reports.size() == 1);
  CHECK(contains(reports[0], "between 3 locks"));
}

TEST_CASE("lockdep_consistent_order_is_not_flagged") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex a;
  weft::Mutex b;
  weft::Mutex c;
  weft::RecursiveMutex r;
  for (int i = 0; i < 4; ++i) {
    in_order(a, b, c);
    in_order(a, c, r);
    in_order(b, r);
  }
  CHECK(weft::lockdep_reports().empty());
  CHECK(mode.printed().empty());
}

namespace {
// Both orders over locks constructed anew on every call, always at the same two lines.
void fresh_locks(bool a_first) {
  weft::Mutex a;
  weft::Mutex b;
  on_thread([&] {
    if (a_first) {
      std::lock_guard ga(a);
      std::lock_guard gb(b);
    } else {
      std::lock_guard gb(b);
      std::lock_guard ga(a);
    }
  });
}
}  // namespace

TEST_CASE("lockdep_locks_created_anew_at_the_same_lines_form_one_graph") {
  LockdepCase mode(LockdepMode::Report);
  for (int i = 0; i < 5; ++i) fresh_locks(true);
  CHECK(weft::lockdep_reports().empty());
  for (int i = 0; i < 5; ++i) fresh_locks(false);
  CHECK(weft::lockdep_reports().size() == 1);
}

TEST_CASE("lockdep_try_lock_inversion_is_not_flagged") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex a;
  weft::Mutex b;
  in_order(a, b);
  on_thread([&] {  // b then a, but a is only tried: it gives up instead of waiting
    std::lock_guard gb(b);
    if (a.try_lock()) a.unlock();
    if (a.try_lock_for(1ms)) a.unlock();
    std::unique_lock ga(a, std::try_to_lock);
  });
  CHECK(weft::lockdep_reports().empty());
  // A lock taken by try_lock is held all the same: waiting for another one under it counts.
  on_thread([&] {
    REQUIRE(b.try_lock());
    a.lock();
    a.unlock();
    b.unlock();
  });
  CHECK(weft::lockdep_reports().size() == 1);
}

TEST_CASE("lockdep_std_scoped_lock_of_two_in_either_order_is_not_flagged") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex a;
  weft::Mutex b;
  on_thread([&] { std::scoped_lock both(a, b); });
  on_thread([&] { std::scoped_lock both(b, a); });  // std::lock backs off with try_lock
  CHECK(weft::lockdep_reports().empty());
}

TEST_CASE("lockdep_inversion_under_a_common_gate_lock_is_not_flagged") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex gate;
  weft::Mutex a;
  weft::Mutex b;
  on_thread([&] {
    std::lock_guard g(gate);
    std::lock_guard ga(a);
    std::lock_guard gb(b);
  });
  on_thread([&] {
    std::lock_guard g(gate);
    std::lock_guard gb(b);
    std::lock_guard ga(a);
  });
  CHECK(weft::lockdep_reports().empty());
  // The same inversion without the gate on one side can deadlock.
  in_order(b, a);
  CHECK(weft::lockdep_reports().size() == 1);
}

TEST_CASE("lockdep_one_thread_in_both_orders_is_not_flagged") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex a;
  weft::Mutex b;
  on_thread([&] {
    {
      std::lock_guard ga(a);
      std::lock_guard gb(b);
    }
    std::lock_guard gb(b);
    std::lock_guard ga(a);
  });
  CHECK(weft::lockdep_reports().empty());
  // a second thread in one of the orders makes it a two-thread cycle
  in_order(b, a);
  CHECK(weft::lockdep_reports().size() == 1);
}

TEST_CASE("lockdep_recursive_reentry_adds_no_edge") {
  LockdepCase mode(LockdepMode::Report);
  weft::RecursiveMutex r;
  weft::Mutex m;
  auto reenter = [&] {
    std::lock_guard g1(r);
    std::lock_guard g2(m);
    std::lock_guard g3(r);  // re-entry: r is already held, so no m -> r order
  };
  on_thread(reenter);
  on_thread(reenter);
  CHECK(weft::lockdep_reports().empty());
  // a real m -> r order is one
  in_order(m, r);
  CHECK(weft::lockdep_reports().size() == 1);
}

TEST_CASE("lockdep_unlock_in_any_order") {
  LockdepCase mode(LockdepMode::Report);
  weft::Mutex a;
  weft::Mutex b;
  weft::Mutex c;
  on_thread([&] {
    a.lock();
    REQUIRE(b.try_lock());  // held, without an a -> b order
    a.unlock();             // not the last one taken
    c.lock();               // only b is held: b -> c, not a -> c
    c.unlock();
    b.unlock();
  });
  in_order(c, a);
  CHECK(weft::lockdep_reports().empty());
  // b was still held when c was taken
  in_order(c, b);
  CHECK(weft::lockdep_reports().size() == 1);
}

namespace {
// Two locks that are members of one class: both are constructed by the implicit constructor,
// at one line, so only their names tell them apart.
struct Bank {
  weft::Mutex accounts{"bank.accounts"};
  weft::Mutex audit_log{"bank.audit_log"};
};
}  // namespace

TEST_CASE("lockdep_named_locks_are_classes_of_their_own") {
  LockdepCase mode(LockdepMode::Report);
  Bank one, two;
  in_order(one.accounts, one.audit_log);
  in_order(two.audit_log, two.accounts);
  const std::vector<std::string> reports = weft::lockdep_reports();
  REQUIRE(reports.size() == 1);
  CHECK(contains(reports[0], "holds bank.accounts"));
  CHECK(contains(reports[0], "waits for bank.accounts"));
}

TEST_CASE("lockdep_off_records_nothing") {
  LockdepCase mode(LockdepMode::Off);
  weft::Mutex a;
  weft::Mutex b;
  in_order(a, b);
  in_order(b, a);
  CHECK(weft::lockdep_reports().empty());
  // Turned on now, one order is not an inversion: the orders seen while off were not kept.
  weft::set_lockdep(LockdepMode::Report);
  in_order(b, a);
  CHECK(weft::lockdep_reports().empty());
  in_order(a, b);
  CHECK(weft::lockdep_reports().size() == 1);
  CHECK(contains(mode.printed(), "weft lockdep: lock order inversion"));
}

TEST_CASE("lockdep_mode_from_env_values") {
  std::string warning;
  CHECK(weft::detail::lockdep_mode_from_env(nullptr, warning) == LockdepMode::Off);
  CHECK(warning.empty());
  CHECK(weft::detail::lockdep_mode_from_env("report", warning) == LockdepMode::Report);
  CHECK(weft::detail::lockdep_mode_from_env("Abort", warning) == LockdepMode::Abort);
  CHECK(weft::detail::lockdep_mode_from_env("off", warning) == LockdepMode::Off);
  CHECK(weft::detail::lockdep_mode_from_env("", warning) == LockdepMode::Off);
  CHECK(warning.empty());
  CHECK(weft::detail::lockdep_mode_from_env("yes please", warning) == LockdepMode::Off);
  CHECK(contains(warning, "WEFT_LOCKDEP=yes please is not one of report, abort, off"));
  CHECK(warning.find('\n') == std::string::npos);
}

TEST_CASE("proc_lockdep_abort_mode_aborts_after_printing") {
  const auto [status, printed] = in_child([] {
    weft::detail::lockdep_reset();
    weft::set_lockdep(LockdepMode::Abort);
    weft::Mutex a;
    weft::Mutex b;
    abba(a, b);
  });
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(contains(printed, "weft lockdep: lock order inversion (potential deadlock)"));
}

TEST_CASE("proc_lockdep_abort_mode_ends_a_real_abba_deadlock_instead_of_hanging") {
  const auto result = in_child([] {
    ::alarm(20);  // a hang fails the test (SIGALRM) instead of blocking it
    weft::detail::lockdep_reset();
    weft::set_lockdep(LockdepMode::Abort);
    weft::Mutex a;
    weft::Mutex b;
    std::atomic<int> holding{0};
    auto take = [&](weft::Mutex& first, weft::Mutex& second) {
      std::lock_guard g1(first);
      holding.fetch_add(1);
      while (holding.load() < 2) std::this_thread::yield();  // both hold their first lock
      std::lock_guard g2(second);  // the second of these attempts closes the cycle
    };
    std::thread t1(take, std::ref(a), std::ref(b));
    std::thread t2(take, std::ref(b), std::ref(a));
    t1.join();
    t2.join();
  });
  CHECK(WIFSIGNALED(result.first));
  CHECK(WTERMSIG(result.first) == SIGABRT);
  CHECK(contains(result.second, "weft lockdep: lock order inversion (potential deadlock)"));
}

TEST_CASE("proc_lockdep_report_mode_does_not_abort") {
  const auto [status, printed] = in_child([] {
    weft::detail::lockdep_reset();
    weft::set_lockdep(LockdepMode::Report);
    weft::Mutex a;
    weft::Mutex b;
    abba(a, b);
    abba(a, b);
    if (weft::lockdep_reports().size() != 1) ::_exit(2);
  });
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(contains(printed, "weft lockdep: lock order inversion (potential deadlock)"));
}

namespace {
// This test binary re-run with WEFT_LOCKDEP=value, running only
// lockdep_initial_mode_is_the_environments: its exit status and stderr.
std::pair<int, std::string> rerun_with_env(const char* value) {
  return in_child([value] {
    ::setenv("WEFT_LOCKDEP", value, 1);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);  // doctest's summary
    char self[] = "/proc/self/exe";
    char filter[] = "-tc=lockdep_initial_mode_is_the_environments";
    char quiet[] = "--no-version=true";
    char* argv[] = {self, filter, quiet, nullptr};
    ::execv(self, argv);
    ::_exit(127);
  });
}
}  // namespace

TEST_CASE("proc_lockdep_initial_mode_comes_from_the_environment") {
  for (const char* value : {"report", "abort"}) {
    // Not a structured binding: clang 14 cannot capture one in INFO's lambda.
    const std::pair<int, std::string> run = rerun_with_env(value);
    const int status = run.first;
    const std::string& printed = run.second;
    INFO(value, printed);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_FALSE(contains(printed, "WEFT_LOCKDEP"));
  }
  const auto [status, printed] = rerun_with_env("sometimes");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(contains(printed,
                 "weft: WEFT_LOCKDEP=sometimes is not one of report, abort, off; lock-order "
                 "checking (lockdep) stays off\n"));
}

TEST_SUITE_END();
