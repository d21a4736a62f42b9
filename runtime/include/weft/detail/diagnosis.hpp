// weft/detail/diagnosis.hpp — snapshots the runtime hands to checkers/ when a schedule ends in
// a state that needs explaining. Checkers see these values only, never the execution itself.
#pragma once

#include <string>
#include <vector>

#include <weft/detail/model.hpp>
#include <weft/explore.hpp>

namespace weft::detail {

struct BlockedThread {
  ThreadId id = 0;
  std::string name;
  OpKind op = OpKind::Other;  // the operation it is blocked in
  ObjectKind object_kind = ObjectKind::Other;
  std::string object;           // display name of what it waits for
  ThreadId holder = kNoThread;  // the thread that holds that object (locks, joined threads)
  Location where{};             // the blocked operation's source line
};

struct Diagnosis {
  std::string message;         // one line
  std::string details;         // several lines, appended to the trace
  std::vector<BugSite> sites;  // Bug::sites: each blocked thread and what it waits for
};

// Every unfinished thread is blocked: name the cycle (or chain) of who waits for whom.
Diagnosis diagnose_deadlock(const std::vector<BlockedThread>& blocked);

}  // namespace weft::detail
