// Output for the seed's programs: they print what the Python prints, but only when run for real.
// An explored body runs once per schedule; a thousand copies of its output would bury the report.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include <weft/weft.hpp>

namespace seed {

// Python's f"{n:,}": 1234567 -> "1,234,567".
inline std::string commas(long long n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// Python's f"{x:.2f}" (and .1f with digits = 1).
inline std::string fixed(double x, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

// Seconds of weft::Clock since `start`: virtual time when explored, real time when run.
inline double seconds_since(weft::Clock::time_point start) {
  return std::chrono::duration<double>(weft::Clock::now() - start).count();
}

// One line to stdout, in one write: lines printed by concurrent workers never interleave.
inline void say(const std::string& line) {
  if (weft::exploring()) return;
  const std::string out = line + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace seed
