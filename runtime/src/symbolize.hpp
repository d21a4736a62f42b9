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
// debug information to tell (read in process with elfutils' libdw).
std::string user_frame(const std::vector<void*>& stack);
// The same frame's file as debug information names it (often an absolute path) and its line;
// "" and 0 when there is none.
struct SourceLine {
  std::string file;
  unsigned line = 0;
};
SourceLine user_source_line(const std::vector<void*>& stack);

// The innermost frame outside weft, the standard library and Boost, named from the ELF symbol
// table, for code built without debug information: "function+0x1c" (the return address's
// offset in its function), or "object+0x1234" (its offset in the ELF file) when no symbol
// covers it. Never an absolute address, so the same in every run. `or_first`: when no frame
// qualifies, name the first one (the return addresses of a call site), else leave it empty.
struct SymbolFrame {
  std::string text;
  bool has_line = false;  // debug information names a line there (or, if empty, in any frame)
};
SymbolFrame symbol_frame(const std::vector<void*>& stack, bool or_first);

}  // namespace weft::detail
