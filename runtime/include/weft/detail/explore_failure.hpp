// weft/detail/explore_failure.hpp — what a test framework's WEFT_*_EXPLORE macro says when an
// exploration fails (weft/doctest.hpp, weft/gtest.hpp): one text, so that both frameworks report
// a failure alike. Not a public API.
#pragma once

#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <weft/explore.hpp>

namespace weft::detail {

// The failure message: where the first bug's schedule was saved
// (weft-schedules/<file's base name>-<line>.schedule under the working directory), how to replay
// it, and the summary. A schedule that cannot be written is said in the message; the summary
// still has it in full.
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
