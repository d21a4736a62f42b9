// explore's live progress line: scenario, schedules done/total, schedules per second, bugs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace weft::cli {

// Drawn on a terminal only: redirected output carries no timings, so that the same seed gives
// byte-identical logs.
class ProgressLine {
 public:
  ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The callback for Options::progress while `scenario` is explored (empty off a terminal). It
  // refers to this object, which must outlive the exploration.
  std::function<void(std::uint64_t, std::size_t)> start(const std::string& scenario,
                                                        std::uint64_t iterations);
  // Erases the line, before the scenario's result is printed in its place.
  void clear();

 private:
  void draw(std::uint64_t done, std::size_t bugs);

  bool tty_;
  std::string scenario_;
  std::uint64_t iterations_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace weft::cli
