// How explore and replay print a bug on stdout, indented under its scenario's line.
#pragma once

#include <weft/explore.hpp>

namespace weft::cli {

// Its kind, message and trace.
void print_bug(const Bug& bug);
// A bug found by the same schedule as the one printed before it: its kind and message, and of
// its trace only the wait-for graph, if it has one (the rest is the trace above).
void print_bug_of_same_schedule(const Bug& bug);

}  // namespace weft::cli
