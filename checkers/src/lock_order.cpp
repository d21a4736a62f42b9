// The lock-order graph: an edge A -> B each time a thread starts a blocking acquisition of B
// while it holds A, with both acquisition sites. All the edges of a schedule combine, whenever
// they were made, so a cycle is found even when the moments could not deadlock (thread 1 takes
// A then B and is joined before thread 2 takes B then A): a potential deadlock, reported as
// LockOrderInversion. Not reported: cycles whose edges were all made by one thread, cycles
// whose edges all hold a common gate lock, and acquisitions through try_lock / try_lock_for
// (they give up instead of waiting forever). Each distinct cycle is reported once per
// exploration.
//
// Two parts: a checker that names the edges of one execution (lock identities are stable
// across schedules and processes), and the graph that finds cycles among them.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <weft/detail/checker.hpp>

namespace weft::detail {
namespace {

struct Held {
  ObjectId object;
  Location where;
};

class LockOrderChecker final : public Checker {
 public:
  void on_execution_begin() override {
    held_.clear();
    attempts_.clear();
    labels_.clear();
  }

  bool wants(ModelEvent::Kind k) const override {
    return k == ModelEvent::Kind::LockAttempt || k == ModelEvent::Kind::Acquired ||
           k == ModelEvent::Kind::Unlock;
  }

  void on_event(const ModelEvent& e) override {
    switch (e.kind) {
      case ModelEvent::Kind::LockAttempt:
        if (!held(e.thread).empty())
          attempts_.push_back({e.thread, e.object, e.where, held(e.thread)});
        break;
      case ModelEvent::Kind::Acquired:
        held(e.thread).push_back({e.object, e.where});
        break;
      case ModelEvent::Kind::Unlock: {
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
    // Edges are named here, where names are at hand, in the order the attempts happened.
    edges_.clear();
    for (const Attempt& a : attempts_) {
      const std::string to = label(a.object, names);
      for (std::size_t i = 0; i < a.held.size(); ++i) {
        LockEdge edge{label(a.held[i].object, names),  to,
                      names.object(a.held[i].object),  names.object(a.object),
                      names.thread(a.thread),          {},
                      names.site(a.held[i].where, {}), names.site(a.where, {})};
        if (edge.from == edge.to) continue;
        for (std::size_t j = 0; j < a.held.size(); ++j) {
          if (j != i) edge.gates.push_back(label(a.held[j].object, names));
        }
        std::sort(edge.gates.begin(), edge.gates.end());
        if (std::find(edges_.begin(), edges_.end(), edge) == edges_.end()) edges_.push_back(edge);
      }
    }
    attempts_.clear();
    return {};
  }

  std::vector<LockEdge> lock_edges() override { return std::move(edges_); }

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

  std::string label(ObjectId o, const Names& names) {
    if (auto it = labels_.find(o); it != labels_.end()) return it->second;
    return labels_[o] = names.object_identity(o);
  }

  std::vector<std::vector<Held>> held_;
  std::vector<Attempt> attempts_;
  std::map<ObjectId, std::string> labels_;
  std::vector<LockEdge> edges_;
};

class Graph final : public LockGraph {
 public:
  std::optional<Finding> add(const LockEdge& edge) override {
    if (std::find(edges_.begin(), edges_.end(), edge) != edges_.end()) return std::nullopt;
    edges_.push_back(edge);
    std::vector<std::size_t> path{edges_.size() - 1};
    std::optional<Finding> found;
    search(edge.to, path, found);
    return found;
  }

 private:
  // Paths back from the closing edge's target to its source: cycles through the new edge.
  void search(const std::string& at, std::vector<std::size_t>& path,
              std::optional<Finding>& found) {
    if (found || path.size() > kMaxCycle) return;
    const std::string& start = edges_[path.front()].from;
    for (std::size_t i = 0; i < edges_.size() && !found; ++i) {
      const LockEdge& e = edges_[i];
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
    std::vector<std::string> common = edges_[cycle.front()].gates;
    for (std::size_t i : cycle) {
      std::vector<std::string> both;
      std::set_intersection(common.begin(), common.end(), edges_[i].gates.begin(),
                            edges_[i].gates.end(), std::back_inserter(both));
      common = std::move(both);
    }
    return common.empty();  // a common gate lock serialises the whole cycle
  }

  Finding describe(const std::vector<std::size_t>& cycle) const {
    // Start at the smallest lock so that the text does not depend on which edge closed it.
    std::size_t first = 0;
    for (std::size_t k = 1; k < cycle.size(); ++k) {
      if (edges_[cycle[k]].from_name < edges_[cycle[first]].from_name) first = k;
    }
    Finding f;
    f.kind = BugKind::LockOrderInversion;
    f.message = "lock order inversion (potential deadlock): ";
    std::vector<std::string> keys;
    for (std::size_t k = 0; k < cycle.size(); ++k) {
      const LockEdge& e = edges_[cycle[(first + k) % cycle.size()]];
      f.message += (k > 0 ? "; " : "") + e.thread + " holds " + e.from_name + " (" + e.from_site +
                   ") and waits for " + e.to_name + " (" + e.to_site + ")";
      f.locks.push_back(e.from_name);
      f.sites.push_back(BugSite{e.thread, e.from_site, "holds " + e.from_name});
      f.sites.push_back(BugSite{e.thread, e.to_site, "waits for " + e.to_name});
      keys.push_back(e.from + "(" + e.from_site + ")->" + e.to + "(" + e.to_site + ")");
    }
    std::sort(keys.begin(), keys.end());  // thread names may differ between schedules
    for (const std::string& k : keys) f.key += k + "|";
    return f;
  }

  static constexpr std::size_t kMaxCycle = 6;
  std::vector<LockEdge> edges_;
};

}  // namespace

std::unique_ptr<Checker> make_race_checker();

std::vector<std::unique_ptr<Checker>> make_default_checkers() {
  std::vector<std::unique_ptr<Checker>> all;
  all.push_back(make_race_checker());
  all.push_back(std::make_unique<LockOrderChecker>());
  return all;
}

std::unique_ptr<LockGraph> make_lock_graph() { return std::make_unique<Graph>(); }

}  // namespace weft::detail
