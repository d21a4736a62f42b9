// bench_common.hpp — tiny helpers shared by the weft benchmarks: interleaved rounds, medians,
// ratios and plain-text tables. No framework: every benchmark is a main() with std::chrono.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

// Wall time of f() in seconds.
template <class F>
double seconds(F&& f) {
  const auto t0 = Clock::now();
  f();
  const auto t1 = Clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

// Keeps a value alive for the optimiser without costing more than a register move.
template <class T>
inline void keep(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
inline double min_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}
inline double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}
// Per-round ratios a[i] / b[i]: A and B of one round ran back to back, so their ratio is less
// exposed to the machine's drift than the ratio of two medians.
inline std::vector<double> ratios(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) r.push_back(a[i] / b[i]);
  return r;
}

// One measured variant: `run` does one round's work and returns the round's metric (ns/op,
// schedules/s, ...). Its results are collected per round.
struct Variant {
  Variant(std::string n, std::function<double()> f) : name(std::move(n)), run(std::move(f)) {}
  std::string name;
  std::function<double()> run;
  std::vector<double> results;
};

// Runs every variant once untimed (warm-up: stacks, caches, page faults), then `rounds` rounds
// in which each variant runs once; the order rotates every round so that no variant always runs
// first (or right after the same neighbour).
inline void interleave(std::vector<Variant>& variants, int rounds, bool verbose = true) {
  for (Variant& v : variants) v.run();
  const std::size_t n = variants.size();
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < n; ++k) {
      Variant& v = variants[(k + static_cast<std::size_t>(r)) % n];
      v.results.push_back(v.run());
    }
    if (verbose) {
      std::fprintf(stderr, "\r  round %d/%d", r + 1, rounds);
      std::fflush(stderr);
    }
  }
  if (verbose) std::fprintf(stderr, "\r%*s\r", 30, "");
}

// A plain-text table with right-aligned columns (the first left-aligned).
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const {
    std::vector<std::size_t> w;
    for (const auto& row : rows_) {
      if (w.size() < row.size()) w.resize(row.size(), 0);
      for (std::size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], row[i].size());
    }
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      std::string line = "| ";
      for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string cell = i < rows_[r].size() ? rows_[r][i] : "";
        const std::string pad(w[i] - cell.size(), ' ');
        line += i == 0 ? cell + pad : pad + cell;
        line += " | ";
      }
      line.pop_back();
      std::printf("%s\n", line.c_str());
      if (r == 0) {
        std::string sep = "|";
        for (std::size_t i = 0; i < w.size(); ++i) {
          sep += i == 0 ? std::string(w[i] + 2, '-') : std::string(w[i] + 1, '-') + ":";
          sep += "|";
        }
        std::printf("%s\n", sep.c_str());
      }
    }
    std::fflush(stdout);
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

inline std::string fmt(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "title", then a table of each variant's ns/op: median, min and max over the rounds.
inline void print_ns_table(const char* title, const std::vector<Variant>& vs) {
  std::printf("\n%s\n\n", title);
  Table t({"variant", "ns/op median", "min", "max"});
  for (const Variant& v : vs) {
    t.add(
        {v.name, fmt(median(v.results), 2), fmt(min_of(v.results), 2), fmt(max_of(v.results), 2)});
  }
  t.print();
}
// 1234567 -> "1,234,567" (rounded).
inline std::string fmt_int(double v) {
  std::string digits = std::to_string(static_cast<long long>(v + 0.5));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "--name value" from argv, or the default.
inline long long arg(int argc, char** argv, const char* name, long long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoll(argv[i + 1]);
  }
  return fallback;
}

// "--name text" from argv, or the default.
inline std::string string_arg(int argc, char** argv, const char* name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

[[noreturn]] inline void die(const std::string& why);

// Runs `command` (the Python side of a comparison) and reads its one line of results with
// `format`; any failure ends the benchmark.
template <class... Out>
void read_command(const std::string& command, const char* format, Out*... out) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) die("cannot run " + command);
  const int got = std::fscanf(p, format, out...);
  if (::pclose(p) != 0 || got != static_cast<int>(sizeof...(Out))) {
    die("python side failed: " + command);
  }
}

inline void print_load(const char* when);

// One line about the machine, for the record.
inline void print_machine() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(colon + 2);
      break;
    }
  }
  std::printf("machine: %s, %u hardware threads (shared VM: expect noise)\n", model.c_str(),
              std::thread::hardware_concurrency());
  print_load("at start");
}

// The load average now: other tenants' work shows here, and explains outliers.
inline void print_load(const char* when) {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  std::printf("load average %s: %s %s %s\n", when, a.c_str(), b.c_str(), c.c_str());
  std::fflush(stdout);
}

// CPU seconds used by the whole process so far (all threads).
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "benchmark self-check failed: %s\n", why.c_str());
  std::exit(1);
}

}  // namespace bench
