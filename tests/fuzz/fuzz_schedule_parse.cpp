// Harness: the schedule text format (Schedule::parse, what `replay` and Schedule::load read from
// a file). Any text is a ScheduleError or a schedule, never a crash or a hang; and a schedule
// it accepts prints (to_string) as text that parses back to an equal schedule, so a saved
// schedule always loads again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <weft/errors.hpp>
#include <weft/schedule.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  weft::Schedule schedule;
  try {
    schedule = weft::Schedule::parse(text);
  } catch (const weft::ScheduleError&) {
    return 0;
  }
  const std::string printed = schedule.to_string();
  if (!(weft::Schedule::parse(printed) == schedule)) std::abort();
  return 0;
}
