// The scenario CLI behind weft::main: list, explore, replay, run.
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <weft/detail/platform.hpp>
#include <weft/errors.hpp>
#include <weft/explore.hpp>
#include <weft/scenario.hpp>

namespace weft::detail {
namespace {

constexpr const char* kUsage =
    "usage: %s <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  list                     list the scenarios of this binary\n"
    "  explore [GLOB] [options] explore every scenario matching GLOB (default: all)\n"
    "      --strategy random|pct|pos|dfs   (default pct)\n"
    "      --iterations N                  schedules per scenario (default 1000; up to 10^18)\n"
    "      --seed S                        (default 0)\n"
    "      --pct-depth D                   (default 3; up to 1000)\n"
    "      --preemption-bound B            DFS only (default -1: unbounded; up to 10^9)\n"
    "      --max-steps N                   per schedule (default 100000; up to 10^18)\n"
    "      --time-budget SECONDS           per scenario (default 0: none)\n"
    "      --jobs J                        worker processes, up to 1024 (default 1; same report\n"
    "                                      for any J)\n"
    "      --schedule-dir DIR              where bug schedules go (default weft-schedules)\n"
    "      --junit FILE                    write a JUnit XML report\n"
    "      --chrome-trace FILE             write the failing (or last) schedule as a Chrome trace\n"
    "      --all-bugs                      keep exploring after the first bug\n"
    "      environment: WEFT_ITERATIONS, WEFT_SEED, WEFT_STRATEGY, WEFT_JOBS (flags win)\n"
    "  replay NAME SCHEDULE_FILE [--chrome-trace FILE]\n"
    "                           re-run one recorded schedule of scenario NAME\n"
    "  run [GLOB] [--timeout SECONDS]   run scenarios once for real (production mode)\n"
    "\n"
    "output paths are checked before anything is explored or replayed\n"
    "exit status: 0 no bug, 1 a bug was found (schedules written), 2 usage, input or output\n"
    "error\n";

struct UsageFailure {
  std::string message;
};

// Upper bounds of the numeric flags: a value beyond what its option holds (an int, an unsigned)
// must be an error, never a silent wrap-around, and beyond these bounds none of them means
// anything more (10^18 schedules or steps never end; more workers than that are not cores).
constexpr std::uint64_t kMaxCount = 1'000'000'000'000'000'000;
constexpr std::uint64_t kMaxJobs = 1024;
constexpr std::uint64_t kMaxPctDepth = 1000;
constexpr std::uint64_t kMaxPreemptionBound = 1'000'000'000;

std::uint64_t parse_uint(std::string_view flag, std::string_view text, std::uint64_t min,
                         std::uint64_t max) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max) {
    throw UsageFailure{std::string(flag) + " expects a whole number from " + std::to_string(min) +
                       " to " + std::to_string(max) + ", got '" + std::string(text) + "'"};
  }
  return v;
}

// A plain decimal number of seconds: no sign, no blanks, no hex, inf or nan (which strtod
// would take), and nothing that overflows or underflows.
double parse_seconds(std::string_view flag, std::string_view text, bool zero_allowed) {
  const bool plain = !text.empty() &&
                     (std::isdigit(static_cast<unsigned char>(text[0])) != 0 || text[0] == '.') &&
                     text.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
  if (plain) {
    const std::string copy(text);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(copy.c_str(), &end);
    if (errno == 0 && end == copy.c_str() + copy.size() && std::isfinite(v) &&
        (v > 0 || (zero_allowed && v == 0))) {
      return v;
    }
  }
  throw UsageFailure{std::string(flag) + " expects a number of seconds " +
                     (zero_allowed ? "(0 = no limit)" : "greater than 0") + ", got '" +
                     std::string(text) + "'"};
}

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string file_name_for(std::string_view scenario) {
  std::string out;
  for (char c : scenario) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (keep) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return (out.empty() ? "scenario" : out) + ".schedule";
}

// Its weft objects are the real primitives: explored, it would run without a scheduling point
// and report nothing.
void refuse_production_only(const Scenario& s, const char* what) {
  if (!s.production_only) return;
  throw UsageFailure{"scenario '" + s.name + "' was compiled with WEFT_PRODUCTION_ONLY (" +
                     s.where.file + "): it can be run but not " + what};
}

std::vector<const Scenario*> matching(std::string_view glob) {
  std::vector<const Scenario*> out;
  const std::string pattern(glob.empty() ? "*" : glob);
  for (const Scenario& s : scenarios()) {
    if (::fnmatch(pattern.c_str(), s.name.c_str(), 0) == 0) out.push_back(&s);
  }
  if (out.empty()) throw UsageFailure{"no scenario matches '" + pattern + "' (see 'list')"};
  return out;
}

void print_bug(const Bug& bug) {
  std::cout << "  " << to_string(bug.kind) << ": " << bug.message << "\n";
  std::cout << "  trace:\n";
  std::string line;
  for (char c : bug.trace) {
    if (c == '\n') {
      std::cout << "  " << line << "\n";
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) std::cout << "  " << line << "\n";
}

Strategy parse_strategy(std::string_view where, std::string_view v) {
  if (v == "random") return Strategy::Random;
  if (v == "pct") return Strategy::PCT;
  if (v == "pos") return Strategy::POS;
  if (v == "dfs") return Strategy::DFS;
  throw UsageFailure{std::string(where) + " expects random, pct, pos or dfs, got '" +
                     std::string(v) + "'"};
}

// WEFT_ITERATIONS, WEFT_SEED, WEFT_STRATEGY and WEFT_JOBS tune a test binary in CI without
// code changes; command-line flags, applied after, win.
void apply_environment(Options& o) {
  if (const char* v = std::getenv("WEFT_ITERATIONS"); v != nullptr && *v != '\0') {
    o.iterations = parse_uint("WEFT_ITERATIONS", v, 1, kMaxCount);
  }
  if (const char* v = std::getenv("WEFT_SEED"); v != nullptr && *v != '\0') {
    o.seed = parse_uint("WEFT_SEED", v, 0, UINT64_MAX);
  }
  if (const char* v = std::getenv("WEFT_STRATEGY"); v != nullptr && *v != '\0') {
    o.strategy = parse_strategy("WEFT_STRATEGY", v);
  }
  if (const char* v = std::getenv("WEFT_JOBS"); v != nullptr && *v != '\0') {
    o.jobs = static_cast<unsigned>(parse_uint("WEFT_JOBS", v, 1, kMaxJobs));
  }
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string error_text(int error) { return std::generic_category().message(error); }

// Returns why `text` could not be written to `path`, or an empty string. Checks every step
// (close too): a full disk may only show there.
std::string write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return "cannot write " + path + ": " + error_text(errno);
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_error = errno;
  const bool closed = std::fclose(f) == 0;
  if (wrote && closed) return {};
  return "cannot write " + path + ": " + error_text(wrote ? errno : write_error);
}

// Output paths are checked before anything is explored, so that a typo costs no exploration
// and a bug is never reported without the schedule that exit status 1 promises. Both checks
// create a file of their own and remove it: permission bits are no answer for root or on
// /proc and read-only mounts. Nothing is left behind: the directory is made at the first save.
void check_schedule_dir(const std::filesystem::path& dir) {
  const std::string shown = "--schedule-dir " + dir.string() + ": ";
  std::filesystem::path existing = dir.empty() ? std::filesystem::path(".") : dir;
  struct stat st {};
  while (::stat(existing.c_str(), &st) != 0) {
    if (errno != ENOENT) throw UsageFailure{shown + error_text(errno)};
    std::filesystem::path up = existing.parent_path();
    if (up.empty()) up = ".";
    if (up == existing) throw UsageFailure{shown + error_text(ENOENT)};
    existing = up;
  }
  if (!S_ISDIR(st.st_mode)) throw UsageFailure{shown + existing.string() + " is not a directory"};
  const std::filesystem::path probe = existing / (".weft-probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw UsageFailure{shown + "cannot create files in " +
                       (existing == dir ? std::string("it") : existing.string()) + " (" +
                       error_text(errno) + ")"};
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_output_file(std::string_view flag, const std::string& path) {
  const std::string shown = std::string(flag) + " " + path + ": ";
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw UsageFailure{shown + "is a directory"};
    // No O_TRUNC: an old report stays intact until the new one is written. O_NONBLOCK: a FIFO
    // without a reader must not hang the check.
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw UsageFailure{shown + "cannot write it (" + error_text(errno) + ")"};
    ::close(fd);
    return;
  }
  if (errno != ENOENT) throw UsageFailure{shown + error_text(errno)};
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageFailure{shown + "cannot create it (" + error_text(errno) + ")"};
  ::close(fd);
  ::unlink(path.c_str());
}

// Chrome Trace Event format: one lane (tid) per model thread, one slice per operation, in
// schedule order (each step is one microsecond of "time"); viewable in Perfetto or
// chrome://tracing.
std::string chrome_trace(const std::string& scenario, const std::vector<TraceStep>& steps) {
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out += "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"" +
         json_escape(scenario) + "\"}}";
  std::vector<bool> named;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    if (named.size() <= s.thread) named.resize(s.thread + 1, false);
    if (!named[s.thread]) {
      named[s.thread] = true;
      out += ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(s.thread) +
             ",\"name\":\"thread_name\",\"args\":{\"name\":\"" + json_escape(s.thread_name) +
             "\"}}";
    }
    out += ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":" + std::to_string(s.thread) +
           ",\"ts\":" + std::to_string(i) + ",\"dur\":1,\"name\":\"" +
           json_escape((s.blocked ? "blocked: " : "") + s.operation) +
           "\",\"args\":{\"step\":" + std::to_string(i + 1) + ",\"value\":\"" +
           json_escape(s.value) + "\",\"location\":\"" + json_escape(s.location) + "\"}}";
  }
  out += "\n]}\n";
  return out;
}

int cmd_list() {
  for (const Scenario& s : scenarios()) std::cout << s.name << "\n";
  return 0;
}

int cmd_explore(const char* argv0, const std::vector<std::string_view>& args) {
  Options options;
  apply_environment(options);
  options.isolate = true;  // a crashing body is a bug, not the end of the run
  std::string glob;
  std::string junit;
  std::string chrome;
  std::filesystem::path dir = "weft-schedules";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw UsageFailure{std::string(a) + " needs a value"};
      return args[++i];
    };
    if (a == "--strategy") {
      options.strategy = parse_strategy(a, value());
    } else if (a == "--iterations") {
      options.iterations = parse_uint(a, value(), 1, kMaxCount);
    } else if (a == "--seed") {
      options.seed = parse_uint(a, value(), 0, UINT64_MAX);
    } else if (a == "--pct-depth") {
      options.pct_depth = static_cast<int>(parse_uint(a, value(), 1, kMaxPctDepth));
    } else if (a == "--preemption-bound") {
      const std::string_view v = value();
      try {
        options.preemption_bound =
            v == "-1" ? -1 : static_cast<int>(parse_uint(a, v, 0, kMaxPreemptionBound));
      } catch (const UsageFailure&) {
        throw UsageFailure{"--preemption-bound expects -1 (no bound) or a whole number from 0 to " +
                           std::to_string(kMaxPreemptionBound) + ", got '" + std::string(v) + "'"};
      }
    } else if (a == "--max-steps") {
      options.max_steps = parse_uint(a, value(), 1, kMaxCount);
    } else if (a == "--time-budget") {
      options.time_budget_s = parse_seconds(a, value(), /*zero_allowed=*/true);
    } else if (a == "--jobs") {
      options.jobs = static_cast<unsigned>(parse_uint(a, value(), 1, kMaxJobs));
    } else if (a == "--schedule-dir") {
      dir = std::string(value());
    } else if (a == "--junit") {
      junit = value();
    } else if (a == "--chrome-trace") {
      chrome = value();
    } else if (a == "--all-bugs") {
      options.stop_on_first_bug = false;
    } else if (a.starts_with("-")) {
      throw UsageFailure{"unknown option '" + std::string(a) + "' for explore"};
    } else if (glob.empty()) {
      glob = a;
    } else {
      throw UsageFailure{"explore takes one GLOB, got '" + glob + "' and '" + std::string(a) + "'"};
    }
  }
  const std::vector<const Scenario*> chosen = matching(glob);
  for (const Scenario* s : chosen) refuse_production_only(*s, "explored");
  check_schedule_dir(dir);
  if (!junit.empty()) check_output_file("--junit", junit);
  if (!chrome.empty()) check_output_file("--chrome-trace", chrome);
  // Files that could not be written after all (a full disk): the report is still printed in
  // full, but the exit status must not promise them.
  std::vector<std::string> unwritten;
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  std::size_t with_bugs = 0;
  std::uint64_t schedules = 0;
  std::string junit_cases;
  std::string trace_json;
  for (const Scenario* s : chosen) {
    const auto started = std::chrono::steady_clock::now();
    auto last_draw = started;
    if (tty) {
      // A live progress line on a terminal only: logs must diff cleanly.
      options.progress = [&](std::uint64_t done, std::size_t bugs) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_draw < std::chrono::milliseconds(100) && done != options.iterations) return;
        last_draw = now;
        const std::chrono::duration<double> spent = now - started;
        std::printf("\r\033[K%s  %llu/%llu schedules  %.0f/s  %zu bugs", s->name.c_str(),
                    static_cast<unsigned long long>(done),
                    static_cast<unsigned long long>(options.iterations),
                    spent.count() > 0 ? static_cast<double>(done) / spent.count() : 0.0, bugs);
        std::fflush(stdout);
      };
    }
    const Report r = explore(s->body, options);
    if (tty) std::printf("\r\033[K");
    schedules += r.iterations;
    junit_cases += "    <testcase classname=\"weft.explore\" name=\"" + xml_escape(s->name) + "\"";
    if (r.ok()) {
      junit_cases += "/>\n";
      std::cout << "ok    " << s->name << "  (" << r.iterations << " schedules"
                << (r.exhausted ? ", all of them" : "") << ")\n";
      if (!chrome.empty() && trace_json.empty() && s == chosen.back()) {
        trace_json = chrome_trace(s->name, trace_steps(s->body, r.last));
      }
      continue;
    }
    ++with_bugs;
    const Bug& first = r.bugs.front();
    junit_cases += ">\n      <failure type=\"" + std::string(to_string(first.kind)) +
                   "\" message=\"" + xml_escape(first.message) + "\">" + xml_escape(r.summary()) +
                   "</failure>\n    </testcase>\n";
    std::cout << "BUG   " << s->name << "  (" << r.bugs.size()
              << (r.bugs.size() == 1 ? " bug" : " bugs") << " in " << r.iterations
              << (r.iterations == 1 ? " schedule)\n" : " schedules)\n");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string dir_error =
        ec ? "cannot create directory " + dir.string() + ": " + ec.message() : std::string();
    std::filesystem::path path;
    for (std::size_t b = 0; b < r.bugs.size(); ++b) {
      const Bug& bug = r.bugs[b];
      // Several bugs found by one schedule share its trace and its file.
      if (b > 0 && bug.schedule == r.bugs[b - 1].schedule) {
        std::cout << "  " << to_string(bug.kind) << ": " << bug.message << "\n"
                  << "  (same schedule as the bug above";
        if (bug.trace.find("wait-for graph") != std::string::npos) {
          std::cout << "; its wait-for graph:)\n";
          const std::string graph = bug.trace.substr(bug.trace.find("wait-for graph"));
          std::string line;
          for (char c : graph) {
            if (c != '\n') {
              line += c;
              continue;
            }
            std::cout << "  " << line << "\n";
            line.clear();
          }
        } else {
          std::cout << ")\n";
        }
        continue;
      }
      print_bug(bug);
      std::string file = file_name_for(s->name);
      if (b > 0) file.insert(file.size() - 9, "-" + std::to_string(b + 1));
      path = dir / file;
      std::string error = dir_error;
      if (error.empty()) {
        try {
          bug.schedule.save(path);
        } catch (const std::exception& e) {
          error = e.what();
        }
      }
      if (error.empty()) {
        std::cout << "  replay: " << argv0 << " replay " << quote(s->name) << " "
                  << quote(path.string()) << "\n";
      } else {
        std::cout << "  (could not save the schedule: " << error << ")\n";
        unwritten.push_back(std::move(error));
      }
    }
    if (!chrome.empty() && trace_json.empty() && first.kind != BugKind::Crash) {
      trace_json = chrome_trace(s->name, trace_steps(s->body, first.schedule));
    }
  }
  std::cout << "weft: " << chosen.size() << (chosen.size() == 1 ? " scenario, " : " scenarios, ")
            << with_bugs << " with bugs, " << schedules
            << (schedules == 1 ? " schedule explored\n" : " schedules explored\n");
  if (!junit.empty()) {
    std::string error = write_file(
        junit,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite "
        "name=\"weft\" tests=\"" +
            std::to_string(chosen.size()) + "\" failures=\"" + std::to_string(with_bugs) +
            "\" errors=\"0\">\n" + junit_cases + "  </testsuite>\n</testsuites>\n");
    if (!error.empty()) unwritten.push_back(std::move(error));
  }
  if (!chrome.empty()) {
    std::string error =
        write_file(chrome, trace_json.empty() ? "{\"traceEvents\":[]}\n" : trace_json);
    if (!error.empty()) unwritten.push_back(std::move(error));
  }
  if (!unwritten.empty()) {
    std::cout.flush();
    std::fprintf(stderr, "%s: %s (the report above is complete, but %zu %s could not be written)\n",
                 argv0, unwritten.front().c_str(), unwritten.size(),
                 unwritten.size() == 1 ? "file" : "files");
    return 2;
  }
  return with_bugs > 0 ? 1 : 0;
}

int cmd_replay(std::vector<std::string_view> args) {
  std::string chrome;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--chrome-trace") continue;
    if (i + 1 >= args.size()) throw UsageFailure{"--chrome-trace needs a value"};
    chrome = args[i + 1];
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
               args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    break;
  }
  for (std::string_view a : args) {
    if (a.starts_with("--"))
      throw UsageFailure{"unknown option '" + std::string(a) + "' for replay"};
  }
  if (args.size() != 2) throw UsageFailure{"replay takes NAME and SCHEDULE_FILE"};
  const Scenario* scenario = nullptr;
  for (const Scenario& s : scenarios()) {
    if (s.name == args[0]) scenario = &s;
  }
  if (scenario == nullptr) {
    throw UsageFailure{"unknown scenario '" + std::string(args[0]) + "' (see 'list')"};
  }
  refuse_production_only(*scenario, "replayed");
  if (!chrome.empty()) check_output_file("--chrome-trace", chrome);
  Schedule schedule;
  try {
    schedule = Schedule::load(std::filesystem::path(std::string(args[1])));
  } catch (const ScheduleError& e) {
    throw UsageFailure{e.what()};
  } catch (const std::system_error& e) {
    throw UsageFailure{e.what()};
  }
  // The replay runs in a child process: the schedule of a Crash bug crashes again, and that
  // must be a report, not the end of this process.
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    int code = 1;
    try {
      const Report r = replay(scenario->body, schedule);
      if (r.ok()) {
        std::cout << "ok    " << scenario->name << "  (replayed " << schedule.size()
                  << " decisions, no bug)\n";
        code = 0;
      } else {
        std::cout << "BUG   " << scenario->name << "\n";
        for (const Bug& bug : r.bugs) print_bug(bug);
      }
      if (!chrome.empty()) {
        const std::string error =
            write_file(chrome, chrome_trace(scenario->name, trace_steps(scenario->body, schedule)));
        if (!error.empty()) throw UsageFailure{error + " (the report above is complete)"};
      }
    } catch (const UsageFailure& e) {
      std::fprintf(stderr, "weft: %s\n", e.message.c_str());
      code = 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "weft: error: %s\n", e.what());
      code = 2;
    }
    std::cout.flush();
    std::fflush(nullptr);
    ::_exit(code);
  }
  int status = 0;
  detail::wait_child(pid, &status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::cout << "BUG   " << scenario->name << "\n  Crash: the body crashed during the replay: "
            << detail::describe_wait_status(status)
            << "; run the replay under a debugger to see where\n";
  return 1;
}

int cmd_run(const std::vector<std::string_view>& args) {
  std::string glob;
  double timeout = 60;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--timeout") {
      if (i + 1 >= args.size()) throw UsageFailure{"--timeout needs a value"};
      timeout = parse_seconds(args[i], args[i + 1], /*zero_allowed=*/false);
      ++i;
    } else if (args[i].starts_with("-")) {
      throw UsageFailure{"unknown option '" + std::string(args[i]) + "' for run"};
    } else if (glob.empty()) {
      glob = args[i];
    } else {
      throw UsageFailure{"run takes one GLOB"};
    }
  }
  const std::vector<const Scenario*> chosen = matching(glob);
  std::size_t failed = 0;
  for (const Scenario* s : chosen) {
    std::cout.flush();
    const auto start = std::chrono::steady_clock::now();
    // Each body runs in a child process, so a failed assertion (abort), a crash or a real
    // deadlock is reported instead of taking the runner down with it.
    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
      s->body();
      std::fflush(nullptr);
      ::_exit(0);
    }
    int status = 0;
    bool hung = false;
    for (;;) {
      const pid_t done = detail::wait_child(pid, &status, WNOHANG);
      if (done == pid) break;
      const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
      if (spent.count() > timeout) {
        ::kill(pid, SIGKILL);
        detail::wait_child(pid, &status);
        hung = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
    char took[32];
    std::snprintf(took, sizeof took, "%.3fs", spent.count());
    if (hung) {
      ++failed;
      std::cout << "HUNG  " << s->name << "  (killed after " << timeout
                << "s: a deadlock? explore it to find out)\n";
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::cout << "ok    " << s->name << "  (" << took << ")\n";
    } else {
      ++failed;
      std::cout << "FAIL  " << s->name << "  (" << detail::describe_wait_status(status) << ", "
                << took << ")\n";
    }
  }
  std::cout << "weft: ran " << chosen.size()
            << (chosen.size() == 1 ? " scenario, " : " scenarios, ") << failed << " failed\n";
  return failed > 0 ? 1 : 0;
}

}  // namespace

int cli_main(int argc, char** argv) {
  const char* argv0 = argc > 0 ? argv[0] : "weft";
  std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
    if (args.empty()) throw UsageFailure{"missing command (list, explore, replay, run)"};
    const std::string_view cmd = args.front();
    args.erase(args.begin());
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::printf(kUsage, argv0);
      return 0;
    }
    if (cmd == "list") {
      if (!args.empty()) throw UsageFailure{"list takes no arguments"};
      return cmd_list();
    }
    if (cmd == "explore") return cmd_explore(argv0, args);
    if (cmd == "replay") return cmd_replay(args);
    if (cmd == "run") return cmd_run(args);
    throw UsageFailure{"unknown command '" + std::string(cmd) + "' (try --help)"};
  } catch (const UsageFailure& e) {
    std::cout.flush();
    std::fprintf(stderr, "%s: %s\n", argv0, e.message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fprintf(stderr, "%s: error: %s\n", argv0, e.what());
    return 2;
  }
}

}  // namespace weft::detail
