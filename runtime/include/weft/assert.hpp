// weft/assert.hpp — assertions that become AssertionFailure bugs under exploration.
#pragma once

#include <string>

#include <weft/location.hpp>

namespace weft::detail {
// Model mode: reports an AssertionFailure and abandons the schedule. Production mode: prints the
// failure to stderr and aborts, like assert() but never compiled out.
void assertion_failed(const char* expression, const std::string& message, const Location& where);
}  // namespace weft::detail

#define WEFT_ASSERT(cond)        \
  ((cond) ? static_cast<void>(0) \
          : ::weft::detail::assertion_failed(#cond, std::string(), ::weft::Location::current()))
#define WEFT_ASSERT_MSG(cond, msg) \
  ((cond)                          \
       ? static_cast<void>(0)      \
       : ::weft::detail::assertion_failed(#cond, std::string(msg), ::weft::Location::current()))
