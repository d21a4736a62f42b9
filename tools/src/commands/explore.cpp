// explore: every matching scenario under many schedules; a line per scenario, each bug with its
// trace and saved schedule, a summary line, and optionally JUnit, Chrome trace, JSON and HTML
// files.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <weft/detail/model.hpp>
#include <weft/detail/report_html.hpp>
#include <weft/detail/report_json.hpp>
#include <weft/detail/watchdog.hpp>

#include "bug_text.hpp"
#include "chrome_trace_writer.hpp"
#include "commands.hpp"
#include "json_report_writer.hpp"
#include "junit_writer.hpp"
#include "progress.hpp"
#include "schedule_files.hpp"

namespace weft::cli {
namespace {

// What explore gathers across the scenarios for its summary, its files and its exit status.
struct Results {
  std::size_t with_bugs = 0;
  std::uint64_t schedules = 0;
  std::vector<JunitCase> junit_cases;
  // --chrome-trace: the first bug's schedule of every scenario with bugs, or, when none has
  // any, the last schedule of the last scenario.
  std::vector<ChromeTraceScenario> traced;
  std::vector<JsonScenario> json;          // --json: every scenario
  std::vector<detail::HtmlScenario> html;  // --html: every scenario
  // Files that could not be written after all (a full disk): the report is still printed in
  // full, but the exit status must not promise them.
  std::vector<std::string> unwritten;
};

void print_ok(const Scenario& s, const Report& r) {
  std::cout << "ok    " << s.name << "  (" << r.iterations << " schedules"
            << (r.exhausted ? ", all of them" : "") << ")\n";
}

// Prints the bugs of `s` and saves a schedule file for each schedule that found one. Returns
// where each bug's schedule was saved.
std::vector<std::optional<std::string>> print_and_save_bugs(const char* argv0,
                                                            const ExploreArgs& args,
                                                            const Scenario& s, const Report& r,
                                                            Results& results) {
  std::vector<std::optional<std::string>> files;
  // Schedules explored, not schedules with bugs: a witness of a lock-order cycle is a steered
  // schedule of its own, so the files written below may outnumber them.
  std::cout << "BUG   " << s.name << "  (" << r.bugs.size()
            << (r.bugs.size() == 1 ? " bug" : " bugs") << " after " << r.iterations
            << (r.iterations == 1 ? " schedule explored)\n" : " schedules explored)\n");
  for (std::size_t b = 0; b < r.bugs.size(); ++b) {
    const Bug& bug = r.bugs[b];
    // Several bugs found by one schedule share its trace and its file.
    if (b > 0 && bug.schedule == r.bugs[b - 1].schedule) {
      print_bug_of_same_schedule(bug);
      files.push_back(files.back());
      continue;
    }
    print_bug(bug);
    const SavedSchedule saved = save_schedule(args.schedule_dir, s.name, b, bug.schedule);
    if (saved.error.empty()) {
      std::cout << "  replay: " << replay_command(argv0, s.name, saved.path) << "\n";
      files.emplace_back(saved.path.string());
    } else {
      std::cout << "  (could not save the schedule: " << saved.error << ")\n";
      results.unwritten.push_back(saved.error);
      files.emplace_back(std::nullopt);
    }
  }
  return files;
}

// The steps of the schedule --chrome-trace shows for scenario `s`, if any. `steps`: the bugs'
// steps when --json recorded them already (the first bug's are the ones shown).
void trace_for_chrome(const ExploreArgs& args, const Scenario& s, const Report& r,
                      bool last_scenario, const detail::BugSteps& steps, Results& results) {
  if (r.ok()) {
    if (last_scenario && results.traced.empty()) {
      results.traced.push_back({s.name, trace_steps(s.body, r.last)});
    }
    return;
  }
  if (!steps.empty() && steps.front()) {
    results.traced.push_back({s.name, *steps.front()});
    return;
  }
  const Bug& first = r.bugs.front();
  // A Crash or Hang schedule would end this process too: its steps come from a child.
  const bool lost = first.kind == BugKind::Crash || first.kind == BugKind::Hang;
  results.traced.push_back({s.name, lost ? detail::trace_steps_in_child(s.body, first.schedule,
                                                                        args.options.hang_timeout_s)
                                         : trace_steps(s.body, first.schedule)});
}

void record_scenario(const char* argv0, const ExploreArgs& args, const Scenario& s, const Report& r,
                     bool last_scenario, std::vector<std::optional<std::string>> schedule_files,
                     Results& results) {
  results.schedules += r.iterations;
  if (!r.ok()) ++results.with_bugs;
  if (!args.junit.empty()) {
    JunitCase& c = results.junit_cases.emplace_back(JunitCase{s.name, {}});
    if (!r.ok()) {
      const Bug& first = r.bugs.front();
      c.failure = JunitFailure{std::string(to_string(first.kind)), first.message, r.summary()};
    }
  }
  detail::BugSteps steps;
  if (!args.json.empty() || !args.html.empty()) {
    steps = detail::bug_steps(r, s.body, args.options.hang_timeout_s);
  }
  if (!args.html.empty()) {
    std::vector<std::optional<std::string>> replay;
    for (const std::optional<std::string>& file : schedule_files) {
      replay.push_back(file ? std::optional(replay_command(argv0, s.name, *file)) : std::nullopt);
    }
    results.html.push_back({s.name, r, steps, std::move(replay), std::nullopt});
  }
  if (!args.json.empty()) {
    results.json.push_back(
        {s.name, detail::report_json_object(r, steps), std::move(schedule_files)});
  }
  if (!args.chrome_trace.empty()) trace_for_chrome(args, s, r, last_scenario, steps, results);
}

void print_summary(std::size_t scenarios, const Results& results) {
  std::cout << "weft: " << scenarios << (scenarios == 1 ? " scenario, " : " scenarios, ")
            << results.with_bugs << " with bugs, " << results.schedules
            << (results.schedules == 1 ? " schedule explored\n" : " schedules explored\n");
}

void write_report_files(const ExploreArgs& args, Results& results) {
  if (!args.junit.empty()) {
    std::string error = write_file(args.junit, junit_xml(results.junit_cases));
    if (!error.empty()) results.unwritten.push_back(std::move(error));
  }
  if (!args.chrome_trace.empty()) {
    std::string error = write_file(args.chrome_trace, chrome_trace_json(results.traced));
    if (!error.empty()) results.unwritten.push_back(std::move(error));
  }
  if (!args.json.empty()) {
    std::string error = write_file(args.json, explore_report_json(args, results.json));
    if (!error.empty()) results.unwritten.push_back(std::move(error));
  }
  if (!args.html.empty()) {
    std::string error = write_file(args.html, detail::html_page(results.html));
    if (!error.empty()) results.unwritten.push_back(std::move(error));
  }
}

int exit_status(const char* argv0, const Results& results) {
  if (results.unwritten.empty()) return results.with_bugs > 0 ? 1 : 0;
  std::cout.flush();
  std::fprintf(stderr, "%s: %s (the report above is complete, but %zu %s could not be written)\n",
               argv0, results.unwritten.front().c_str(), results.unwritten.size(),
               results.unwritten.size() == 1 ? "file" : "files");
  return 2;
}

}  // namespace

int cmd_explore(const char* argv0, const Args& arguments) {
  ExploreArgs args = parse_explore_args(arguments);
  // Bazel's test runner takes this file as the test's word that it shards.
  if (const char* status = std::getenv("TEST_SHARD_STATUS_FILE"); status && *status) {
    if (const std::string error = write_file(status, ""); !error.empty()) {
      throw UsageFailure{"TEST_SHARD_STATUS_FILE: " + error};
    }
  }
  // The Chrome trace's steps come from trace_steps(), which reads the process-wide default.
  detail::set_internal_steps_default(args.options.internal_steps);
  const std::vector<const Scenario*> chosen = matching(args.glob);
  for (const Scenario* s : chosen) refuse_production_only(*s, "explored");
  check_output_paths(args);
  ProgressLine progress;
  Results results;
  for (const Scenario* s : chosen) {
    args.options.progress = progress.start(s->name, args.options.iterations);
    const Report r = explore(s->body, args.options);
    progress.clear();
    std::vector<std::optional<std::string>> schedule_files;
    if (r.ok()) {
      print_ok(*s, r);
    } else {
      schedule_files = print_and_save_bugs(argv0, args, *s, r, results);
    }
    record_scenario(argv0, args, *s, r, s == chosen.back(), std::move(schedule_files), results);
  }
  print_summary(chosen.size(), results);
  write_report_files(args, results);
  return exit_status(argv0, results);
}

}  // namespace weft::cli
