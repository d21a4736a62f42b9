// Where explore saves the schedule of each bug it found, and the command that replays it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <weft/schedule.hpp>

namespace weft::cli {

// "<scenario in lower case, other characters as '-'>.schedule"; the bug at `index` > 0 of the
// same scenario gets "-<index + 1>" before the extension.
std::string schedule_file_name(std::string_view scenario, std::size_t index);

struct SavedSchedule {
  std::filesystem::path path;
  std::string error;  // why it could not be saved; empty when it was
};
// Creates `dir` when needed: the schedule directory is made only when a bug needs it.
SavedSchedule save_schedule(const std::filesystem::path& dir, std::string_view scenario,
                            std::size_t index, const Schedule& schedule);

// The shell command, quoted, that replays the schedule saved at `path`.
std::string replay_command(const char* argv0, std::string_view scenario,
                           const std::filesystem::path& path);

}  // namespace weft::cli
