#include "schedule_files.hpp"

#include <exception>
#include <system_error>

namespace weft::cli {
namespace {

// For a POSIX shell: inside single quotes only a single quote itself needs care.
std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string schedule_file_name(std::string_view scenario, std::size_t index) {
  // A name that is safe in any file system and shell, and still recognisable.
  std::string out;
  for (char c : scenario) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (keep) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty()) out = "scenario";
  if (index > 0) out += "-" + std::to_string(index + 1);
  return out + ".schedule";
}

SavedSchedule save_schedule(const std::filesystem::path& dir, std::string_view scenario,
                            std::size_t index, const Schedule& schedule) {
  SavedSchedule saved{dir / schedule_file_name(scenario, index), {}};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    saved.error = "cannot create directory " + dir.string() + ": " + ec.message();
    return saved;
  }
  try {
    // Named for its scenario, so that replaying it for another one is refused.
    Schedule named = schedule;
    named.set_scenario(std::string(scenario));
    named.save(saved.path);
  } catch (const std::exception& e) {
    saved.error = e.what();
  }
  return saved;
}

std::string replay_command(const char* argv0, std::string_view scenario,
                           const std::filesystem::path& path) {
  return std::string(argv0) + " replay " + quote(scenario) + " " + quote(path.string());
}

}  // namespace weft::cli
