// replay: one recorded schedule of one scenario, run again, optionally as a Chrome trace, a JSON
// report and a web page.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>

#include <weft/detail/model.hpp>
#include <weft/detail/platform.hpp>
#include <weft/detail/report_html.hpp>
#include <weft/detail/report_json.hpp>
#include <weft/detail/watchdog.hpp>
#include <weft/errors.hpp>

#include "bug_text.hpp"
#include "chrome_trace_writer.hpp"
#include "commands.hpp"
#include "json_report_writer.hpp"
#include "schedule_files.hpp"

namespace weft::cli {
namespace {

Schedule load_schedule(const std::string& file) {
  try {
    return Schedule::load(std::filesystem::path(file));
  } catch (const ScheduleError& e) {
    throw UsageFailure{e.what()};
  } catch (const std::system_error& e) {
    throw UsageFailure{e.what()};
  }
}

// The --json document of a replay: `r`'s bugs with `steps`, their schedules in `schedule_file`
// (none: each bug's schedule is not the file's). Returns why it could not be written, or "".
std::string write_replay_json(const ReplayArgs& args, const std::string& scenario, const Report& r,
                              const detail::BugSteps& steps,
                              const std::optional<std::string>& schedule_file) {
  JsonScenario s{scenario, detail::report_json_object(r, steps), {}};
  s.schedule_files.assign(r.bugs.size(), schedule_file);
  return write_file(args.json, replay_report_json(args, s));
}

// The --html page of a replay: `r`'s bugs with `steps` (none: their own), or, without bugs, the
// replayed run's `run`. Returns why it could not be written, or "".
std::string write_replay_html(const ReplayArgs& args, const std::string& scenario, const Report& r,
                              detail::BugSteps steps,
                              std::optional<std::vector<TraceStep>> run = std::nullopt) {
  detail::HtmlScenario s{scenario, r, std::move(steps), {}, std::move(run)};
  return write_file(args.html, detail::html_page({std::move(s)}));
}

// In the child: a replay that crashes or stops reaching weft operations still reports the
// steps it made, and --chrome-trace, --json and --html get them. `told` receives a byte once the
// report is out.
void report_lost_replay(const Scenario& scenario, const Schedule& schedule, const ReplayArgs& args,
                        int told) {
  const std::string name = scenario.name;
  const std::string chrome_trace = args.chrome_trace;
  const double limit = args.hang_timeout_s > 0 ? args.hang_timeout_s : 10;
  detail::on_fatal_signal([name, chrome_trace, limit, told, &schedule,
                           &args](const detail::PartialRun& run) {
    Bug bug;
    bug.kind = run.hung ? BugKind::Hang : BugKind::Crash;
    bug.message = run.hung ? "the replay stopped reaching weft operations (none for " +
                                 detail::format_seconds(limit) + " s)"
                           : "the body crashed during the replay: killed by signal " +
                                 std::to_string(run.signal) + " (" + ::strsignal(run.signal) + ")";
    bug.trace = detail::describe_partial_run(run, limit);
    std::cout << "BUG   " << name << "\n";
    print_bug(bug);
    if (!chrome_trace.empty()) {
      const std::string error = write_file(chrome_trace, chrome_trace_json(name, run.steps));
      if (!error.empty()) std::cout << "  (" << error << ")\n";
    }
    if (!args.json.empty() || !args.html.empty()) {
      bug.schedule = schedule;
      bug.iteration = 1;
      Report r;
      r.strategy = "replay";
      r.iterations = 1;
      r.bugs.push_back(std::move(bug));
      if (!args.json.empty()) {
        const std::string error = write_replay_json(args, name, r, {run.steps}, args.schedule_file);
        if (!error.empty()) std::cout << "  (" << error << ")\n";
      }
      if (!args.html.empty()) {
        const std::string error = write_replay_html(args, name, r, {run.steps});
        if (!error.empty()) std::cout << "  (" << error << ")\n";
      }
    }
    std::cout.flush();
    (void)detail::write_all(told, "1");
    if (run.hung) ::_exit(1);
  });
}

// "bug.schedule" -> "bug.continued.schedule": where replay --continue saves what it found.
std::string continued_path(const std::string& file) {
  std::filesystem::path p(file);
  const std::string ext = p.extension().string();
  p.replace_extension();
  return p.string() + ".continued" + (ext.empty() ? ".schedule" : ext);
}

// replay --continue: prints the bugs of the first continuation that has any, with the new
// schedule saved beside the old one. Returns the exit status.
int continue_and_report(const Scenario& scenario, const Schedule& schedule,
                        const ReplayArgs& args) {
  Options o;
  o.hang_timeout_s = args.hang_timeout_s;
  o.internal_steps = args.internal_steps;
  if (schedule.max_steps() != 0) o.max_steps = schedule.max_steps();
  const Report r = replay_continue(scenario.body, schedule, o);
  if (r.ok()) {
    std::cout << "ok    " << scenario.name << "  (no bug in " << r.iterations
              << (r.iterations == 1 ? " run" : " runs") << " continuing the schedule's "
              << schedule.size() << " decisions)\n";
    return 0;
  }
  std::cout << "BUG   " << scenario.name << "  (" << r.bugs.front().schedule.comment() << ")\n";
  for (const Bug& bug : r.bugs) print_bug(bug);
  Schedule found = r.bugs.front().schedule;
  found.set_scenario(scenario.name);
  const std::string path = continued_path(args.schedule_file);
  try {
    found.save(path);
  } catch (const std::exception& e) {
    throw UsageFailure{std::string("could not save the continued schedule: ") + e.what() +
                       " (the report above is complete)"};
  }
  std::cout << "  replay: " << replay_command(args.argv0, scenario.name, path) << "\n";
  const detail::BugSteps steps = args.json.empty() && args.chrome_trace.empty() && args.html.empty()
                                     ? detail::BugSteps{}
                                     : detail::bug_steps(r, scenario.body, args.hang_timeout_s);
  if (!args.chrome_trace.empty()) {
    const std::string error = write_file(
        args.chrome_trace,
        chrome_trace_json(scenario.name,
                          steps.front() ? *steps.front() : trace_steps(scenario.body, found)));
    if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
  }
  if (!args.json.empty()) {
    JsonScenario s{scenario.name, detail::report_json_object(r, steps), {}};
    for (const Bug& bug : r.bugs) {
      s.schedule_files.push_back(bug.schedule == found ? std::optional<std::string>(path)
                                                       : std::nullopt);
    }
    const std::string error = write_file(args.json, replay_report_json(args, s));
    if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
  }
  if (!args.html.empty()) {
    detail::HtmlScenario s{scenario.name, r, steps, {}, std::nullopt};
    for (const Bug& bug : r.bugs) {
      s.replay.push_back(bug.schedule == found
                             ? std::optional(replay_command(args.argv0, scenario.name, path))
                             : std::nullopt);
    }
    const std::string error = write_file(args.html, detail::html_page({std::move(s)}));
    if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
  }
  return 1;
}

// The child's side: replays, prints the report, writes the trace; its exit status is the
// command's. `told` (>= 0 in a child): see report_lost_replay.
[[noreturn]] void replay_and_exit(const Scenario& scenario, const Schedule& schedule,
                                  const ReplayArgs& args, int told) {
  const std::string& chrome_trace = args.chrome_trace;
  int code = 1;
  std::optional<detail::StallWatch> watch;
  if (told >= 0) {
    report_lost_replay(scenario, schedule, args, told);
    watch.emplace(args.hang_timeout_s, detail::interrupt_model_thread(), schedule.size(),
                  detail::kSettleSeconds);
  }
  try {
    if (args.continue_run) {
      code = continue_and_report(scenario, schedule, args);
      std::cout.flush();
      std::fflush(nullptr);
      ::_exit(code);
    }
    const Report r = replay(scenario.body, schedule);
    if (r.ok()) {
      std::cout << "ok    " << scenario.name << "  (replayed " << schedule.size()
                << " decisions, no bug)\n";
      code = 0;
    } else {
      std::cout << "BUG   " << scenario.name << "\n";
      for (const Bug& bug : r.bugs) print_bug(bug);
    }
    watch.reset();  // the replay is over: what follows is not the body's
    // Every bug of a replay has the replayed schedule: one recording serves them all, and the
    // Chrome trace.
    std::optional<std::vector<TraceStep>> steps;
    if (!chrome_trace.empty() || (!args.json.empty() && !r.ok()) ||
        (!args.html.empty() && r.ok())) {
      steps = trace_steps(scenario.body, schedule);
    }
    if (!chrome_trace.empty()) {
      const std::string error = write_file(chrome_trace, chrome_trace_json(scenario.name, *steps));
      if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
    }
    if (!args.json.empty()) {
      const std::string error = write_replay_json(
          args, scenario.name, r, detail::BugSteps(r.bugs.size(), steps), args.schedule_file);
      if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
    }
    if (!args.html.empty()) {
      const std::string error =
          write_replay_html(args, scenario.name, r, detail::BugSteps(r.bugs.size(), steps), steps);
      if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
    }
  } catch (const UsageFailure& e) {
    std::fprintf(stderr, "weft: %s\n", e.message.c_str());
    code = 2;
  } catch (const ScheduleError& e) {  // recorded for another body: an input error
    std::cout.flush();
    std::fprintf(stderr, "weft: %s: %s\n", args.schedule_file.c_str(), e.what());
    code = 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft: error: %s\n", e.what());
    code = 2;
  }
  std::cout.flush();
  std::fflush(nullptr);
  ::_exit(code);
}

}  // namespace

int cmd_replay(const char* argv0, const Args& arguments) {
  ReplayArgs args = parse_replay_args(arguments);
  args.argv0 = argv0;
  detail::set_internal_steps_default(args.internal_steps);
  const Scenario& scenario = scenario_named(args.scenario);
  refuse_production_only(scenario, "replayed");
  if (!args.chrome_trace.empty()) check_output_file("--chrome-trace", args.chrome_trace);
  if (!args.json.empty()) check_output_file("--json", args.json);
  if (!args.html.empty()) check_output_file("--html", args.html);
  const Schedule schedule = load_schedule(args.schedule_file);
  if (!schedule.scenario().empty() && schedule.scenario() != scenario.name) {
    throw UsageFailure{args.schedule_file + " was recorded for scenario '" + schedule.scenario() +
                       "', not '" + scenario.name + "'"};
  }
  if (args.in_process) replay_and_exit(scenario, schedule, args, -1);
  // The replay runs in a child process: the schedule of a Crash bug crashes again, and that
  // must be a report, not the end of this process.
  int told[2];
  if (::pipe(told) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    ::close(told[0]);
    replay_and_exit(scenario, schedule, args, told[1]);
  }
  ::close(told[1]);
  char byte = 0;
  ssize_t got = 0;
  do {
    got = ::read(told[0], &byte, 1);
  } while (got < 0 && errno == EINTR);
  ::close(told[0]);
  int status = 0;
  detail::wait_child(pid, &status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (got != 1) {  // the child could not say it: its report is this line
    std::cout << "BUG   " << scenario.name << "\n  Crash: the body crashed during the replay: "
              << detail::describe_wait_status(status) << "\n";
  }
  std::cout << "  to see where, replay it in this process under a debugger:\n    gdb --args "
            << replay_command(argv0, scenario.name, args.schedule_file) << " --in-process\n";
  return 1;
}

}  // namespace weft::cli
