#include "bug_text.hpp"

#include <iostream>
#include <string>
#include <string_view>

namespace weft::cli {
namespace {

// Each line of `text` indented by two spaces, under the bug's first line.
void print_indented(std::string_view text) {
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      std::cout << "  " << line << "\n";
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) std::cout << "  " << line << "\n";
}

}  // namespace

void print_bug(const Bug& bug) {
  std::cout << "  " << to_string(bug.kind) << ": " << bug.message << "\n";
  std::cout << "  trace:\n";
  print_indented(bug.trace);
  if (!bug.shrunk.empty()) std::cout << "    (" << bug.shrunk << ")\n";
}

void print_bug_of_same_schedule(const Bug& bug) {
  std::cout << "  " << to_string(bug.kind) << ": " << bug.message << "\n"
            << "  (same schedule as the bug above";
  const std::size_t graph = bug.trace.find("wait-for graph");
  if (graph == std::string::npos) {
    std::cout << ")\n";
    return;
  }
  std::cout << "; its wait-for graph:)\n";
  print_indented(std::string_view(bug.trace).substr(graph));
}

}  // namespace weft::cli
