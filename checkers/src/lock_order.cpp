// The lock-order graph: an edge A -> B each time a thread starts a blocking acquisition of B
// while it holds A, with both acquisition sites. The graph lives for a whole exploration, so a
// cycle is found even when its edges come from schedules (or moments) that could not deadlock
// themselves: a potential deadlock, reported as LockOrderInversion. Not reported: cycles whose
// edges were all made by one thread, cycles whose edges all hold a common gate lock, and
// acquisitions through try_lock / try_lock_for (they give up instead of waiting forever).
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <weft/detail/checker.hpp>

namespace weft::detail {
namespace {

using Node = int;

struct Held {
  ObjectId object;
  Location where;
};

struct Edge {
  Node from;
  Node to;
  std::string thread;       // name, stable across schedules
  std::vector<Node> gates;  // other locks held, sorted
  std::string from_site;    // where `from` was acquired
  std::string to_site;      // where `to` was requested
};

class LockOrderChecker final : public Checker {
 public:
  void on_execution_begin() override {
    held_.clear();
    nodes_of_.clear();
    new_edges_.clear();
  }

  void on_event(const Event& e) override {
    switch (e.kind) {
      case Event::Kind::LockAttempt:
        if (held(e.thread).empty()) return;
        attempts_.push_back({e.thread, e.object, e.where, held(e.thread)});
        break;
      case Event::Kind::Acquired:
        held(e.thread).push_back({e.object, e.where});
        break;
      case Event::Kind::Unlock: {
        auto& h = held(e.thread);
        for (std::size_t i = h.size(); i-- > 0;) {
          if (h[i].object == e.object) {
            h.erase(h.begin() + static_cast<std::ptrdiff_t>(i));
            break;
          }
        }
        break;
      }
      default:
        break;
    }
  }

  std::vector<Finding> on_execution_end(const Names& names) override {
    // Edges are named and added here, where names are at hand; the order of attempts is the
    // order they happened, so the result is deterministic.
    std::vector<Finding> out;
    for (const Attempt& a : attempts_) {
      const Node to = node(a.object, names);
      for (std::size_t i = 0; i < a.held.size(); ++i) {
        const Node from = node(a.held[i].object, names);
        if (from == to) continue;
        Edge edge{from,
                  to,
                  names.thread(a.thread),
                  {},
                  names.site(a.held[i].where, nullptr),
                  names.site(a.where, nullptr)};
        for (std::size_t j = 0; j < a.held.size(); ++j) {
          if (j != i) edge.gates.push_back(node(a.held[j].object, names));
        }
        std::sort(edge.gates.begin(), edge.gates.end());
        if (!add(edge)) continue;
        if (auto f = find_cycle(edges_.size() - 1)) out.push_back(std::move(*f));
      }
    }
    attempts_.clear();
    return out;
  }

 private:
  struct Attempt {
    ThreadId thread;
    ObjectId object;
    Location where;
    std::vector<Held> held;
  };

  std::vector<Held>& held(ThreadId t) {
    if (held_.size() <= t) held_.resize(t + 1);
    return held_[t];
  }

  // Locks are identified across schedules by name plus creation rank among same-named locks.
  Node node(ObjectId o, const Names& names) {
    if (auto it = nodes_of_.find(o); it != nodes_of_.end()) return it->second;
    const std::string name = names.object(o);
    int rank = 0;
    for (ObjectId other = 0; other < o; ++other) rank += names.object(other) == name ? 1 : 0;
    const auto key = std::make_pair(name, rank);
    auto found = std::find(node_names_.begin(), node_names_.end(), key);
    Node n = static_cast<Node>(found - node_names_.begin());
    if (found == node_names_.end()) node_names_.push_back(key);
    nodes_of_[o] = n;
    return n;
  }
  std::string label(Node n) const {
    const auto& [name, rank] = node_names_[static_cast<std::size_t>(n)];
    return rank == 0 ? name : name + "#" + std::to_string(rank + 1);
  }

  // Adds an edge unless one with the same ends, thread and gates is known.
  bool add(const Edge& e) {
    for (const Edge& old : edges_) {
      if (old.from == e.from && old.to == e.to && old.thread == e.thread && old.gates == e.gates) {
        return false;
      }
    }
    edges_.push_back(e);
    return true;
  }

  // Looks for a cycle through edge `closing` (to -> ... -> from) whose edges come from at least
  // two threads and share no gate lock.
  std::optional<Finding> find_cycle(std::size_t closing) {
    std::vector<std::size_t> path{closing};
    std::optional<Finding> found;
    search(edges_[closing].to, path, found);
    return found;
  }

  void search(Node at, std::vector<std::size_t>& path, std::optional<Finding>& found) {
    if (found || path.size() > kMaxCycle) return;
    const Node start = edges_[path.front()].from;
    for (std::size_t i = 0; i < edges_.size() && !found; ++i) {
      const Edge& e = edges_[i];
      if (e.from != at) continue;
      bool revisits = false;
      for (std::size_t p : path) revisits |= edges_[p].from == e.to && e.to != start;
      if (revisits) continue;
      path.push_back(i);
      if (e.to == start) {
        if (acceptable(path)) found = describe(path);
      } else {
        search(e.to, path, found);
      }
      path.pop_back();
    }
  }

  bool acceptable(const std::vector<std::size_t>& cycle) const {
    std::set<std::string> threads;
    for (std::size_t i : cycle) threads.insert(edges_[i].thread);
    if (threads.size() < 2) return false;  // one thread cannot deadlock with itself
    std::vector<Node> common = edges_[cycle.front()].gates;
    for (std::size_t i : cycle) {
      std::vector<Node> both;
      std::set_intersection(common.begin(), common.end(), edges_[i].gates.begin(),
                            edges_[i].gates.end(), std::back_inserter(both));
      common = std::move(both);
    }
    return common.empty();  // a common gate lock serialises the whole cycle
  }

  Finding describe(const std::vector<std::size_t>& cycle) const {
    // Start the description at the smallest lock so that the text does not depend on which
    // edge happened to close the cycle.
    std::size_t first = 0;
    for (std::size_t k = 1; k < cycle.size(); ++k) {
      if (label(edges_[cycle[k]].from) < label(edges_[cycle[first]].from)) first = k;
    }
    Finding f;
    f.kind = BugKind::LockOrderInversion;
    f.message = "lock order inversion (potential deadlock): ";
    std::vector<std::string> parts;
    for (std::size_t k = 0; k < cycle.size(); ++k) {
      const Edge& e = edges_[cycle[(first + k) % cycle.size()]];
      parts.push_back(e.thread + " holds " + label(e.from) + " (" + e.from_site +
                      ") and waits for " + label(e.to) + " (" + e.to_site + ")");
      f.locks.push_back(label(e.from));
    }
    for (std::size_t k = 0; k < parts.size(); ++k) f.message += (k > 0 ? "; " : "") + parts[k];
    std::vector<std::string> sorted = parts;
    for (std::string& p : sorted) p = p.substr(p.find(" holds "));  // thread names may vary
    std::sort(sorted.begin(), sorted.end());
    for (const std::string& p : sorted) f.key += p + "|";
    return f;
  }

  static constexpr std::size_t kMaxCycle = 6;
  std::vector<std::vector<Held>> held_;
  std::vector<Attempt> attempts_;
  std::map<ObjectId, Node> nodes_of_;
  std::vector<std::pair<std::string, int>> node_names_;  // across schedules
  std::vector<Edge> edges_;                              // across schedules
  std::vector<std::size_t> new_edges_;
};

}  // namespace

std::unique_ptr<Checker> make_race_checker();

std::vector<std::unique_ptr<Checker>> make_default_checkers() {
  std::vector<std::unique_ptr<Checker>> all;
  all.push_back(make_race_checker());
  all.push_back(std::make_unique<LockOrderChecker>());
  return all;
}

}  // namespace weft::detail
