// weft/doctest.hpp — exploring from a doctest test case.
//
//   TEST_CASE("transfers keep the total") {
//     weft::Options o;
//     o.iterations = 2000;
//     WEFT_CHECK_EXPLORE(bank_body, o);      // fails the case, with the report's summary
//     WEFT_REQUIRE_EXPLORE([] { ... });      // ... and stops it (options are optional)
//   }
//
// On failure the first bug's schedule is written to weft-schedules/<test file>-<line>.schedule
// (relative to the working directory), and doctest prints where, how to replay it, and the
// summary: every bug's kind and message and the first bug's trace. Link doctest as usual
// (doctest::doctest); this header includes it, so it may come before or after your own
// #include <doctest/doctest.h>.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <weft/explore.hpp>

namespace weft::detail {

// The failure message of a WEFT_*_EXPLORE: the saved schedule's path and the summary. A
// schedule that cannot be written is said in the message; the summary still has it in full.
inline std::string explore_failure_message(const Report& report, std::string_view file, int line) {
  std::string message;
  if (!report.bugs.empty()) {
    const auto slash = file.find_last_of('/');
    const std::string base(slash == std::string_view::npos ? file : file.substr(slash + 1));
    const std::filesystem::path path =
        std::filesystem::path("weft-schedules") / (base + "-" + std::to_string(line) + ".schedule");
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    try {
      report.bugs.front().schedule.save(path);
      message = "schedule of the first bug saved to " + path.string() +
                "; replay it with weft::replay(body, weft::Schedule::load(\"" + path.string() +
                "\"))\n";
    } catch (const std::exception& e) {
      message = std::string("could not save the first bug's schedule: ") + e.what() + "\n";
    }
  }
  return message + report.summary();
}

}  // namespace weft::detail

#define WEFT_DETAIL_EXPLORE_AND(assertion, body, ...)                                          \
  do {                                                                                         \
    const ::weft::Report weft_report_ = ::weft::explore((body)__VA_OPT__(, ) __VA_ARGS__);     \
    assertion(weft_report_.ok(), (weft_report_.ok() ? std::string()                            \
                                                    : ::weft::detail::explore_failure_message( \
                                                          weft_report_, __FILE__, __LINE__))); \
  } while (false)

#define WEFT_CHECK_EXPLORE(body, ...) \
  WEFT_DETAIL_EXPLORE_AND(CHECK_MESSAGE, body __VA_OPT__(, ) __VA_ARGS__)
#define WEFT_REQUIRE_EXPLORE(body, ...) \
  WEFT_DETAIL_EXPLORE_AND(REQUIRE_MESSAGE, body __VA_OPT__(, ) __VA_ARGS__)
