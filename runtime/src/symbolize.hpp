// symbolize.hpp — the user's source line for operations whose Location could not be captured
// (operators, calls made from inside the standard library). Used only while recording a trace.
#pragma once

#include <string>
#include <vector>

#include <weft/location.hpp>

namespace weft::detail {

// True when `where` says nothing useful about the user's code.
bool needs_symbolizing(const Location& where) noexcept;
// The calling stack of the current thread (fiber), innermost first.
std::vector<void*> capture_stack();
// "file.cpp:12 (function)" of the innermost frame in the user's code, or "" when there is no
// debug information to tell (addr2line from binutils reads it).
std::string user_frame(const std::vector<void*>& stack);

}  // namespace weft::detail
