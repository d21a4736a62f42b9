#include <cstdio>
#include <cstdlib>
#include <string>

#include <weft/assert.hpp>
#include <weft/detail/model.hpp>

namespace weft::detail {

void assertion_failed(const char* expression, const std::string& message, const Location& where) {
  std::string text = "assertion failed: " + std::string(expression);
  if (!message.empty()) text += " (" + message + ")";
  if (Execution* ex = current(); ex != nullptr) {
    text += " at " + location_text(where);
    fail(*ex, BugKind::AssertionFailure, std::move(text));
    return;
  }
  std::fprintf(stderr, "%s:%u: %s: %s\n", where.file, where.line, where.function, text.c_str());
  std::abort();
}

}  // namespace weft::detail
