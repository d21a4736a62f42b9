// The runtime half of <weft/fuzz.hpp>: what a libFuzzer target does with one input. The
// counters array lives in the target's own translation unit (the WEFT_FUZZ_SCENARIO macro), so
// weft's library puts nothing into libFuzzer's section and links into ordinary programs as ever.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <weft/errors.hpp>
#include <weft/fuzz.hpp>

namespace weft::detail {

int fuzz_input(void (*body)(), const std::uint8_t* data, std::size_t size, std::uint8_t* counters,
               std::size_t counters_size, const char* scenario) {
  std::vector<std::uint64_t> coverage;
  Report report;
  try {
    report = fuzz_one(body, {data, size}, &coverage);
  } catch (const std::exception& e) {
    // A usage error (a Shared<T> outside the body, ...) is the same for every input: say it
    // once and stop, rather than let libFuzzer save each input as a crash of its own.
    std::fprintf(stderr, "weft: %s\n", e.what());
    std::exit(2);
  }
  for (const std::uint64_t h : coverage) {
    std::uint8_t& c = counters[h % counters_size];
    if (c != 255) ++c;
  }
  if (report.ok()) return 0;
  std::fputs(report.summary().c_str(), stderr);
  const char* out = std::getenv("WEFT_SCHEDULE_OUT");
  const std::string path = out != nullptr && *out != '\0' ? out : "weft-fuzz.schedule";
  try {
    Schedule& schedule = report.bugs.front().schedule;
    // Named as the CLI names its schedules: its replay refuses one of another scenario.
    if (scenario != nullptr) schedule.set_scenario(scenario);
    schedule.save(path);
    if (scenario != nullptr) {
      // The scenario CLI binary built from the same sources (weft::main) replays it.
      std::fprintf(stderr,
                   "weft: schedule written to %s; replay it with the scenario CLI built from the "
                   "same sources: <binary> replay '%s' %s\n",
                   path.c_str(), scenario, path.c_str());
    } else {
      std::fprintf(stderr, "weft: schedule written to %s (weft::replay takes it)\n", path.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft: could not write the schedule to %s: %s\n", path.c_str(), e.what());
  }
  // libFuzzer saves the input that aborts as crash-<sha1>: the bug's reproducer.
  std::fflush(stderr);
  std::abort();
}

}  // namespace weft::detail
