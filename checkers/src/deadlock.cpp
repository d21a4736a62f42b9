// Deadlock diagnosis: from the blocked threads, the wait-for graph (thread -> object -> holder)
// and the cycle in it, if there is one, named in one line.
#include <algorithm>
#include <string>
#include <vector>

#include <weft/detail/diagnosis.hpp>
#include <weft/detail/platform.hpp>

namespace weft::detail {
namespace {

std::string basename_line(const Location& w) {
  if (w.file == nullptr || *w.file == '\0') return {};
  return std::string(base_name(w.file)) + ":" + std::to_string(w.line);
}

std::string waits_for(const BlockedThread& b, const std::vector<BlockedThread>& all) {
  std::string s = b.name;
  if (b.object_kind == ObjectKind::Thread) {
    s += " waits to join " + b.object;
  } else {
    s += " waits for " + std::string(to_string(b.object_kind)) + " " + b.object;
    if (b.holder != kNoThread) {
      auto h = std::find_if(all.begin(), all.end(),
                            [&](const BlockedThread& o) { return o.id == b.holder; });
      s += " held by ";
      if (h != all.end()) {
        s += h->name;
      } else {
        s += 'T';
        s += std::to_string(b.holder);
      }
    }
  }
  const std::string at = basename_line(b.where);
  if (!at.empty()) s += " (" + at + ")";
  return s;
}

}  // namespace

Diagnosis diagnose_deadlock(const std::vector<BlockedThread>& blocked) {
  auto find = [&](ThreadId id) -> const BlockedThread* {
    for (const BlockedThread& b : blocked) {
      if (b.id == id) return &b;
    }
    return nullptr;
  };
  // Follow holder edges from each thread; the first thread seen twice closes a cycle.
  std::vector<ThreadId> cycle;
  for (const BlockedThread& start : blocked) {
    std::vector<ThreadId> path;
    const BlockedThread* at = &start;
    while (at != nullptr && std::find(path.begin(), path.end(), at->id) == path.end()) {
      path.push_back(at->id);
      at = at->holder == kNoThread ? nullptr : find(at->holder);
    }
    if (at != nullptr) {
      cycle.assign(std::find(path.begin(), path.end(), at->id), path.end());
      break;
    }
  }

  Diagnosis d;
  std::vector<const BlockedThread*> order;
  for (ThreadId id : cycle) order.push_back(find(id));
  for (const BlockedThread& b : blocked) {
    if (std::find(cycle.begin(), cycle.end(), b.id) == cycle.end()) order.push_back(&b);
  }
  d.message = cycle.empty() ? "deadlock: every unfinished thread is blocked: "
                            : "deadlock: cycle of " + std::to_string(cycle.size()) + " threads: ";
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == cycle.size() && !cycle.empty()) {
      d.message += "; also blocked: ";
    } else if (i > 0) {
      d.message += ", ";
    }
    d.message += waits_for(*order[i], blocked);
  }
  d.details = "wait-for graph (thread -> object -> holder):\n";
  for (const BlockedThread* b : order) {
    d.details += "  " + b->name + " -> " + b->object;
    if (b->holder != kNoThread && b->object_kind != ObjectKind::Thread) {
      const BlockedThread* h = find(b->holder);
      d.details += " -> " + (h != nullptr ? h->name : "T" + std::to_string(b->holder));
    }
    d.details += "    blocked in " + std::string(to_string(b->op));
    const std::string at = basename_line(b->where);
    if (!at.empty()) d.details += " at " + at;
    d.details += "\n";
    const bool joins = b->object_kind == ObjectKind::Thread;
    d.sites.push_back(BugSite{b->name, at, (joins ? "waits to join " : "waits for ") + b->object});
    BugSite other;
    if (b->holder != kNoThread) {
      const BlockedThread* h = find(b->holder);
      other.thread = h != nullptr ? h->name : "T" + std::to_string(b->holder);
      other.what = joins ? "is joined" : "holds " + b->object;
    }
    d.sites.push_back(std::move(other));
  }
  return d;
}

}  // namespace weft::detail
