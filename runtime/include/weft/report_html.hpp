// weft/report_html.hpp — a Report as one self-contained web page, for people: a lane per
// thread, a row per step, the sites of the bug joined by arrows, a deadlock's wait-for graph.
#pragma once

#include <filesystem>
#include <string>

#include <weft/explore.hpp>

namespace weft {

// The page as text: HTML with its style and a small script inline, nothing fetched from the
// network or from other files, so it can be attached to a CI run or mailed. The same report
// (and the same source files, whose lines the page quotes) gives the same bytes.
//
// Each bug shows its steps (Bug::steps) as lanes; a bug without steps (a Crash or Hang, whose
// trace was recorded by a child process) shows its text trace instead.
std::string to_html(const Report& report);
// to_html written to `path`; throws std::system_error naming the path when it cannot be.
void write_html(const Report& report, const std::filesystem::path& path);

}  // namespace weft
