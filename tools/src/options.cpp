#include "options.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace weft::cli {
namespace {

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

int parse_preemption_bound(std::string_view flag, std::string_view text) {
  if (text == "-1") return -1;
  try {
    return static_cast<int>(parse_uint(flag, text, 0, kMaxPreemptionBound));
  } catch (const UsageFailure&) {
    // The generic message would hide that -1 is allowed too.
    throw UsageFailure{"--preemption-bound expects -1 (no bound) or a whole number from 0 to " +
                       std::to_string(kMaxPreemptionBound) + ", got '" + std::string(text) + "'"};
  }
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

// One explore flag and, when it takes one, its value (`value` consumes it). Returns false for
// an argument that is not a known flag.
template <class Value>
bool apply_explore_flag(ExploreArgs& out, std::string_view flag, Value value) {
  Options& o = out.options;
  if (flag == "--strategy") {
    o.strategy = parse_strategy(flag, value());
  } else if (flag == "--iterations") {
    o.iterations = parse_uint(flag, value(), 1, kMaxCount);
  } else if (flag == "--seed") {
    o.seed = parse_uint(flag, value(), 0, UINT64_MAX);
  } else if (flag == "--pct-depth") {
    o.pct_depth = static_cast<int>(parse_uint(flag, value(), 1, kMaxPctDepth));
  } else if (flag == "--preemption-bound") {
    o.preemption_bound = parse_preemption_bound(flag, value());
  } else if (flag == "--max-steps") {
    o.max_steps = parse_uint(flag, value(), 1, kMaxCount);
  } else if (flag == "--time-budget") {
    o.time_budget_s = parse_seconds(flag, value(), /*zero_allowed=*/true);
  } else if (flag == "--jobs") {
    o.jobs = static_cast<unsigned>(parse_uint(flag, value(), 1, kMaxJobs));
  } else if (flag == "--schedule-dir") {
    out.schedule_dir = std::string(value());
  } else if (flag == "--junit") {
    out.junit = value();
  } else if (flag == "--chrome-trace") {
    out.chrome_trace = value();
  } else if (flag == "--all-bugs") {
    o.stop_on_first_bug = false;
  } else {
    return false;
  }
  return true;
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
  apply_environment(out.options);
  out.options.isolate = true;  // a crashing body is a bug, not the end of the run
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw UsageFailure{std::string(a) + " needs a value"};
      return args[++i];
    };
    if (apply_explore_flag(out, a, value)) continue;
    if (a.starts_with("-")) {
      throw UsageFailure{"unknown option '" + std::string(a) + "' for explore"};
    }
    if (!out.glob.empty()) {
      throw UsageFailure{"explore takes one GLOB, got '" + out.glob + "' and '" + std::string(a) +
                         "'"};
    }
    out.glob = a;
  }
  return out;
}

ReplayArgs parse_replay_args(Args args) {
  ReplayArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--chrome-trace") continue;
    if (i + 1 >= args.size()) throw UsageFailure{"--chrome-trace needs a value"};
    out.chrome_trace = args[i + 1];
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
               args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    break;
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
