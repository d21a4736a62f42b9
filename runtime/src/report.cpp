#include <sstream>

#include <weft/explore.hpp>

namespace weft {

std::string_view to_string(BugKind k) {
  switch (k) {
    case BugKind::Deadlock:
      return "Deadlock";
    case BugKind::LockOrderInversion:
      return "LockOrderInversion";
    case BugKind::DataRace:
      return "DataRace";
    case BugKind::LostUpdate:
      return "LostUpdate";
    case BugKind::AssertionFailure:
      return "AssertionFailure";
    case BugKind::UncaughtException:
      return "UncaughtException";
    case BugKind::StepLimitExceeded:
      return "StepLimitExceeded";
    case BugKind::Misuse:
      return "Misuse";
    case BugKind::Crash:
      return "Crash";
    case BugKind::Hang:
      return "Hang";
    case BugKind::Nondeterminism:
      return "Nondeterminism";
  }
  return "Unknown";
}

bool Report::found(BugKind kind) const {
  for (const Bug& b : bugs) {
    if (b.kind == kind) return true;
  }
  return false;
}

std::string Report::summary() const {
  std::ostringstream out;
  const std::string how = strategy.empty() ? std::string()
                                           : " (strategy " + strategy +
                                                 (strategy == "replay" || strategy == "libfuzzer"
                                                      ? ""
                                                      : ", seed " + std::to_string(seed)) +
                                                 ")";
  const char* schedules = iterations == 1 ? " schedule" : " schedules";
  if (bugs.empty()) {
    out << "weft: no bugs in " << iterations << schedules << how;
    if (exhausted) out << "; the whole bounded schedule space was explored";
    out << "\n";
    return out.str();
  }
  out << "weft: " << bugs.size() << (bugs.size() == 1 ? " bug" : " bugs") << " in " << iterations
      << schedules << how << "\n";
  for (std::size_t i = 0; i < bugs.size(); ++i) {
    const Bug& b = bugs[i];
    out << "  [" << (i + 1) << "] " << to_string(b.kind) << " (schedule " << b.iteration
        << "): " << b.message << "\n";
  }
  const Bug& first = bugs.front();
  out << "\nfirst bug: " << to_string(first.kind) << ": " << first.message << "\n";
  out << "trace (the interleaving that led to it):\n" << first.trace;
  if (!first.shrunk.empty()) out << "  (" << first.shrunk << ")\n";
  out << "\nto replay it: save the schedule below to a file, then run\n"
      << "  weft::replay(body, weft::Schedule::load(\"bug.schedule\"))\n"
      << "or, for a scenario binary, `<program> replay <scenario> bug.schedule`.\n"
      << "schedule (" << first.schedule.size() << " decisions):\n"
      << first.schedule.to_string();
  return out.str();
}

}  // namespace weft
