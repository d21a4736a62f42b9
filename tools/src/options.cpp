#include "options.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <system_error>

namespace weft::cli {
namespace {

// Upper bounds of the numeric flags: a value beyond what its option holds (an int, an unsigned)
// must be an error, never a silent wrap-around, and beyond these bounds none of them means
// anything more (10^18 schedules or steps never end; more workers than that are not cores).
constexpr std::uint64_t kMaxCount = 1'000'000'000'000'000'000;
constexpr std::uint64_t kMaxJobs = 1024;
constexpr std::uint64_t kMaxShards = 1'000'000;
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

int parse_preemption_bound(std::string_view flag, std::string_view text) {
  if (text == "-1") return -1;
  try {
    return static_cast<int>(parse_uint(flag, text, 0, kMaxPreemptionBound));
  } catch (const UsageFailure&) {
    // The generic message would hide that -1 is allowed too.
    throw UsageFailure{std::string(flag) + " expects -1 (no bound) or a whole number from 0 to " +
                       std::to_string(kMaxPreemptionBound) + ", got '" + std::string(text) + "'"};
  }
}

// I/N: the schedules i with i % N == I.
void parse_shard(ExploreArgs& a, std::string_view flag, std::string_view v) {
  const std::size_t slash = v.find('/');
  if (slash == std::string_view::npos) {
    throw UsageFailure{std::string(flag) + " wants I/N (shard I of N, 0 <= I < N), got '" +
                       std::string(v) + "'"};
  }
  const std::uint64_t n = parse_uint(flag, v.substr(slash + 1), 1, kMaxShards);
  const std::uint64_t i = parse_uint(flag, v.substr(0, slash), 0, n - 1);
  a.options.shard_index = static_cast<unsigned>(i);
  a.options.shard_count = static_cast<unsigned>(n);
}

Strategy parse_strategy(std::string_view where, std::string_view v) {
  if (v == "portfolio") return Strategy::Portfolio;
  if (v == "fuzz") return Strategy::Fuzz;
  if (v == "random") return Strategy::Random;
  if (v == "pct") return Strategy::PCT;
  if (v == "pos") return Strategy::POS;
  if (v == "dfs") return Strategy::DFS;
  throw UsageFailure{std::string(where) +
                     " expects portfolio, random, pct, pos, dfs or fuzz, got '" + std::string(v) +
                     "'"};
}

SharedPoints parse_shared_points(std::string_view where, std::string_view v) {
  if (v == "racy") return SharedPoints::Racy;
  if (v == "all") return SharedPoints::All;
  throw UsageFailure{std::string(where) + " expects racy or all, got '" + std::string(v) + "'"};
}

MemoryModel parse_memory_model(std::string_view where, std::string_view v) {
  if (v == "c11") return MemoryModel::C11;
  if (v == "sc") return MemoryModel::SC;
  throw UsageFailure{std::string(where) + " expects c11 or sc, got '" + std::string(v) + "'"};
}

bool parse_bool(std::string_view name, std::string_view v) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  throw UsageFailure{std::string(name) + " expects 1 or 0 (true/false, yes/no, on/off), got '" +
                     std::string(v) + "'"};
}

// Every Options field a scenario binary can set: its flag and its WEFT_* variable, so that CI
// can tune a test binary without code changes (flags, applied after, win). `name` is what an
// error message calls the setting (the flag or the variable); switches take "1" from a flag.
struct Setting {
  std::string_view flag;
  const char* env;  // null: no variable
  bool takes_value;
  void (*apply)(ExploreArgs&, std::string_view name, std::string_view value);
};

constexpr std::size_t kMinStack = 16 * 1024;
constexpr std::uint64_t kMaxStack = std::uint64_t{1} << 30;

constexpr Setting kSettings[] = {
    {"--strategy", "WEFT_STRATEGY", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.strategy = parse_strategy(n, v);
     }},
    {"--iterations", "WEFT_ITERATIONS", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.iterations = parse_uint(n, v, 1, kMaxCount);
     }},
    {"--seed", "WEFT_SEED", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.seed = parse_uint(n, v, 0, UINT64_MAX);
     }},
    {"--pct-depth", "WEFT_PCT_DEPTH", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.pct_depth = static_cast<int>(parse_uint(n, v, 1, kMaxPctDepth));
     }},
    {"--preemption-bound", "WEFT_PREEMPTION_BOUND", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.preemption_bound = parse_preemption_bound(n, v);
     }},
    {"--max-steps", "WEFT_MAX_STEPS", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.max_steps = parse_uint(n, v, 1, kMaxCount);
     }},
    {"--time-budget", "WEFT_TIME_BUDGET", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.time_budget_s = parse_seconds(n, v, /*zero_allowed=*/true);
     }},
    {"--hang-timeout", "WEFT_HANG_TIMEOUT", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.hang_timeout_s = parse_seconds(n, v, /*zero_allowed=*/true);
     }},
    {"--jobs", "WEFT_JOBS", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.jobs = static_cast<unsigned>(parse_uint(n, v, 1, kMaxJobs));
     }},
    {"--stack-size", "WEFT_STACK_SIZE", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.stack_size = static_cast<std::size_t>(parse_uint(n, v, kMinStack, kMaxStack));
     }},
    {"--spurious-wakeups", "WEFT_SPURIOUS_WAKEUPS", false,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.spurious_wakeups = parse_bool(n, v);
     }},
    {"--no-checkers", "WEFT_NO_CHECKERS", false,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.checkers = !parse_bool(n, v);
     }},
    {"--no-shrink", "WEFT_NO_SHRINK", false,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.shrink = !parse_bool(n, v);
     }},
    {"--shared-points", "WEFT_SHARED_POINTS", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.shared_points = parse_shared_points(n, v);
     }},
    {"--memory-model", "WEFT_MEMORY_MODEL", true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.memory_model = parse_memory_model(n, v);
     }},
    {"--internal-steps", "WEFT_INTERNAL_STEPS", false,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.internal_steps = parse_bool(n, v);
     }},
    {"--all-bugs", "WEFT_ALL_BUGS", false,
     [](ExploreArgs& a, std::string_view n, std::string_view v) {
       a.options.stop_on_first_bug = !parse_bool(n, v);
     }},
    {"--shard", nullptr, true,
     [](ExploreArgs& a, std::string_view n, std::string_view v) { parse_shard(a, n, v); }},
    {"--schedule-dir", "WEFT_SCHEDULE_DIR", true,
     [](ExploreArgs& a, std::string_view, std::string_view v) { a.schedule_dir = std::string(v); }},
    {"--junit", nullptr, true,
     [](ExploreArgs& a, std::string_view, std::string_view v) { a.junit = v; }},
    {"--chrome-trace", nullptr, true,
     [](ExploreArgs& a, std::string_view, std::string_view v) { a.chrome_trace = v; }},
    {"--json", nullptr, true,
     [](ExploreArgs& a, std::string_view, std::string_view v) { a.json = v; }},
    {"--html", nullptr, true,
     [](ExploreArgs& a, std::string_view, std::string_view v) { a.html = v; }},
};

// The test runners' sharding variables, when --shard is not given: GoogleTest's, and Bazel's
// (whose runner also wants TEST_SHARD_STATUS_FILE touched, which cmd_explore does).
void apply_shard_environment(ExploreArgs& out) {
  for (const auto& [index, total] : {std::pair{"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"},
                                     std::pair{"TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"}}) {
    const char* i = std::getenv(index);
    const char* n = std::getenv(total);
    if (i == nullptr || n == nullptr || *i == '\0' || *n == '\0') continue;
    parse_shard(out, std::string(index) + "/" + total, std::string(i) + "/" + n);
    return;
  }
}

void apply_environment(ExploreArgs& out) {
  apply_shard_environment(out);
  for (const Setting& s : kSettings) {
    if (s.env == nullptr) continue;
    if (const char* v = std::getenv(s.env); v != nullptr && *v != '\0') s.apply(out, s.env, v);
  }
}

// One explore flag and, when it takes one, its value (`value` consumes it). Returns false for
// an argument that is not a known flag.
template <class Value>
bool apply_explore_flag(ExploreArgs& out, std::string_view flag, Value value) {
  for (const Setting& s : kSettings) {
    if (s.flag != flag) continue;
    s.apply(out, flag, s.takes_value ? value() : std::string_view("1"));
    return true;
  }
  return false;
}

// Flags that the chosen strategy does not read are accepted (a CI matrix may pass them to
// every strategy) but said, so that nobody believes they had an effect.
void warn_on_unused_flags(const ExploreArgs& out, const std::vector<std::string_view>& given) {
  const Strategy st = out.options.strategy;
  for (const std::string_view flag : given) {
    if (flag == "--pct-depth" && st != Strategy::PCT) {
      std::cerr << "weft: warning: --pct-depth applies to --strategy pct only (the portfolio runs "
                   "depths 1 to 5); ignored\n";
    } else if (flag == "--preemption-bound" && st != Strategy::DFS) {
      std::cerr << "weft: warning: --preemption-bound applies to --strategy dfs only; ignored\n";
    } else if (flag == "--jobs" && st == Strategy::DFS && out.options.jobs > 1) {
      std::cerr << "weft: warning: --strategy dfs explores in one worker (each schedule depends "
                   "on the ones before); --jobs ignored\n";
    }
  }
}

std::string error_text(int error) { return std::generic_category().message(error); }

// Like check_output_file, this probe creates a file of its own and removes it: permission bits
// are no answer for root or on /proc and read-only mounts. Nothing is left behind: the
// directory itself is made when the first schedule is saved.
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

}  // namespace

ExploreArgs parse_explore_args(const Args& args) {
  ExploreArgs out;
  apply_environment(out);
  out.options.isolate = true;  // a crashing body is a bug, not the end of the run
  std::vector<std::string_view> given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw UsageFailure{std::string(a) + " needs a value"};
      return args[++i];
    };
    if (apply_explore_flag(out, a, value)) {
      given.push_back(a);
      continue;
    }
    if (a.starts_with("-")) {
      throw UsageFailure{"unknown option '" + std::string(a) + "' for explore"};
    }
    if (!out.glob.empty()) {
      throw UsageFailure{"explore takes one GLOB, got '" + out.glob + "' and '" + std::string(a) +
                         "'"};
    }
    out.glob = a;
  }
  warn_on_unused_flags(out, given);
  if (out.options.shard_count > 1 && out.options.strategy == Strategy::DFS) {
    throw UsageFailure{
        "--strategy dfs cannot be sharded: each of its schedules depends on the one before"};
  }
  return out;
}

ReplayArgs parse_replay_args(Args args) {
  ReplayArgs out;
  if (const auto at = std::find(args.begin(), args.end(), "--in-process"); at != args.end()) {
    out.in_process = true;
    args.erase(at);
  }
  if (const auto at = std::find(args.begin(), args.end(), "--continue"); at != args.end()) {
    out.continue_run = true;
    args.erase(at);
  }
  if (const char* v = std::getenv("WEFT_INTERNAL_STEPS"); v != nullptr && *v != '\0') {
    out.internal_steps = parse_bool("WEFT_INTERNAL_STEPS", v);
  }
  if (const auto at = std::find(args.begin(), args.end(), "--internal-steps"); at != args.end()) {
    out.internal_steps = true;
    args.erase(at);
  }
  if (const char* v = std::getenv("WEFT_HANG_TIMEOUT"); v != nullptr && *v != '\0') {
    out.hang_timeout_s = parse_seconds("WEFT_HANG_TIMEOUT", v, /*zero_allowed=*/true);
  }
  for (std::size_t i = 0; i < args.size();) {
    if (args[i] != "--chrome-trace" && args[i] != "--json" && args[i] != "--html" &&
        args[i] != "--hang-timeout") {
      ++i;
      continue;
    }
    if (i + 1 >= args.size()) throw UsageFailure{std::string(args[i]) + " needs a value"};
    if (args[i] == "--chrome-trace") {
      out.chrome_trace = args[i + 1];
    } else if (args[i] == "--json") {
      out.json = args[i + 1];
    } else if (args[i] == "--html") {
      out.html = args[i + 1];
    } else {
      out.hang_timeout_s = parse_seconds(args[i], args[i + 1], /*zero_allowed=*/true);
    }
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
               args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
  }
  for (std::string_view a : args) {
    if (a.starts_with("--")) {
      throw UsageFailure{"unknown option '" + std::string(a) + "' for replay"};
    }
  }
  if (args.size() != 2) throw UsageFailure{"replay takes NAME and SCHEDULE_FILE"};
  out.scenario = args[0];
  out.schedule_file = args[1];
  return out;
}

RunArgs parse_run_args(const Args& args) {
  RunArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--timeout") {
      if (i + 1 >= args.size()) throw UsageFailure{"--timeout needs a value"};
      out.timeout_s = parse_seconds(args[i], args[i + 1], /*zero_allowed=*/false);
      ++i;
    } else if (args[i].starts_with("-")) {
      throw UsageFailure{"unknown option '" + std::string(args[i]) + "' for run"};
    } else if (out.glob.empty()) {
      out.glob = args[i];
    } else {
      throw UsageFailure{"run takes one GLOB"};
    }
  }
  return out;
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

const Scenario& scenario_named(std::string_view name) {
  const Scenario* found = nullptr;
  for (const Scenario& s : scenarios()) {
    if (s.name == name) found = &s;
  }
  if (found == nullptr)
    throw UsageFailure{"unknown scenario '" + std::string(name) + "' (see 'list')"};
  return *found;
}

// Its weft objects are the real primitives: explored, it would run without a scheduling point
// and report nothing.
void refuse_production_only(const Scenario& s, const char* what) {
  if (!s.production_only) return;
  throw UsageFailure{"scenario '" + s.name + "' was compiled with WEFT_PRODUCTION_ONLY (" +
                     s.where.file + "): it can be run but not " + what};
}

void check_output_paths(const ExploreArgs& args) {
  check_schedule_dir(args.schedule_dir);
  if (!args.junit.empty()) check_output_file("--junit", args.junit);
  if (!args.chrome_trace.empty()) check_output_file("--chrome-trace", args.chrome_trace);
  if (!args.json.empty()) check_output_file("--json", args.json);
  if (!args.html.empty()) check_output_file("--html", args.html);
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

// Checks every step, close too: a full disk may only show there.
std::string write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return "cannot write " + path + ": " + error_text(errno);
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_error = errno;
  const bool closed = std::fclose(f) == 0;
  if (wrote && closed) return {};
  return "cannot write " + path + ": " + error_text(wrote ? errno : write_error);
}

}  // namespace weft::cli
