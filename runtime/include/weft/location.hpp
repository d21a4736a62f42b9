// weft/location.hpp — where in the user's source an operation happened.
#pragma once

namespace weft {

// A source position captured at the call site through defaulted arguments. std::source_location
// is not usable with clang 14; the builtins work with every GCC and clang we support.
struct Location {
  const char* file = "";
  unsigned line = 0;
  const char* function = "";

  static constexpr Location current(const char* file = __builtin_FILE(),
                                    unsigned line = __builtin_LINE(),
                                    const char* function = __builtin_FUNCTION()) noexcept {
    return Location{file, line, function};
  }
};

}  // namespace weft
