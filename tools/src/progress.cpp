#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace weft::cli {

ProgressLine::ProgressLine() : tty_(::isatty(STDOUT_FILENO) == 1) {}

std::function<void(std::uint64_t, std::size_t)> ProgressLine::start(const std::string& scenario,
                                                                    std::uint64_t iterations) {
  if (!tty_) return {};
  scenario_ = scenario;
  iterations_ = iterations;
  started_ = last_draw_ = std::chrono::steady_clock::now();
  return [this](std::uint64_t done, std::size_t bugs) { draw(done, bugs); };
}

void ProgressLine::draw(std::uint64_t done, std::size_t bugs) {
  const auto now = std::chrono::steady_clock::now();
  // At most ten redraws a second (a terminal is slower than a schedule), but always the last.
  if (now - last_draw_ < std::chrono::milliseconds(100) && done != iterations_) return;
  last_draw_ = now;
  const std::chrono::duration<double> spent = now - started_;
  std::printf("\r\033[K%s  %llu/%llu schedules  %.0f/s  %zu bugs", scenario_.c_str(),
              static_cast<unsigned long long>(done), static_cast<unsigned long long>(iterations_),
              spent.count() > 0 ? static_cast<double>(done) / spent.count() : 0.0, bugs);
  std::fflush(stdout);
}

void ProgressLine::clear() {
  if (tty_) std::printf("\r\033[K");
}

}  // namespace weft::cli
