// run: each matching scenario once for real (production mode), each in a child process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <system_error>
#include <thread>

#include <weft/detail/platform.hpp>

#include "commands.hpp"

namespace weft::cli {
namespace {

struct Outcome {
  int status = 0;     // as waitpid gives it
  bool hung = false;  // killed after the timeout
  double seconds = 0;
};

// In a child process, so that a failed assertion (abort), a crash or a real deadlock is
// reported instead of taking the runner down with it.
Outcome run_in_child(const Scenario& s, double timeout_s) {
  std::cout.flush();
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    s.body();
    std::fflush(nullptr);
    ::_exit(0);
  }
  Outcome out;
  for (;;) {
    const pid_t done = detail::wait_child(pid, &out.status, WNOHANG);
    if (done == pid) break;
    const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
    if (spent.count() > timeout_s) {
      ::kill(pid, SIGKILL);
      detail::wait_child(pid, &out.status);
      out.hung = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
  out.seconds = spent.count();
  return out;
}

// Prints the scenario's line; returns whether it passed.
bool print_outcome(const Scenario& s, const Outcome& o, double timeout_s) {
  char took[32];
  std::snprintf(took, sizeof took, "%.3fs", o.seconds);
  if (o.hung) {
    std::cout << "HUNG  " << s.name << "  (killed after " << timeout_s
              << "s: a deadlock? explore it to find out)\n";
    return false;
  }
  if (WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0) {
    std::cout << "ok    " << s.name << "  (" << took << ")\n";
    return true;
  }
  std::cout << "FAIL  " << s.name << "  (" << detail::describe_wait_status(o.status) << ", " << took
            << ")\n";
  return false;
}

}  // namespace

int cmd_run(const Args& arguments) {
  const RunArgs args = parse_run_args(arguments);
  const std::vector<const Scenario*> chosen = matching(args.glob);
  std::size_t failed = 0;
  for (const Scenario* s : chosen) {
    if (!print_outcome(*s, run_in_child(*s, args.timeout_s), args.timeout_s)) ++failed;
  }
  std::cout << "weft: ran " << chosen.size()
            << (chosen.size() == 1 ? " scenario, " : " scenarios, ") << failed << " failed\n";
  return failed > 0 ? 1 : 0;
}

}  // namespace weft::cli
