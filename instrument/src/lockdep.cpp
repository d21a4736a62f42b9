// lockdep.cpp — lock-order checking of the real mutexes (weft/lockdep.hpp).
//
// Each thread keeps the locks it holds (a small stack; unlock in any order). A blocking
// acquisition made while holding locks is an "acquisition context": the held locks' classes and
// sites plus the new one's. A thread remembers the contexts it has already sent to the graph, so
// the steady state of a program never takes the graph's lock; a new context adds an edge
// held-class -> new-class for each held lock, under one std::mutex.
//
// The rules are the model's lock-order checker's (checkers/src/lock_order.cpp), with lock
// classes for lock identities: try_lock and try_lock_for add no edge (they give up instead of
// waiting); a cycle whose edges were all made by one thread is not reported (one thread cannot
// deadlock with itself); a cycle whose edges all held a common lock class besides their own (a
// gate) is not reported; an edge within one class is not recorded (recursive re-entry, or two
// locks constructed at one line, whose order the class cannot tell).
#include <weft/lockdep.hpp>

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <weft/detail/model.hpp>

namespace weft {
namespace detail {

constinit std::atomic<std::uint8_t> lockdep_state{0};

namespace {

// Bumped when lockdep is turned on and by lockdep_reset(): a thread whose held stack and
// context cache are of an older generation drops them (they may miss unlocks made while off).
constinit std::atomic<std::uint64_t> generation{1};

struct ClassKey {
  const char* file;  // line 0: an interned name
  unsigned line;
};

struct Held {
  const void* object;
  const char* type;
  ClassKey cls;
  const char* file;  // where it was acquired
  unsigned line;
  const char* function;
  unsigned depth;
  // The hash of the acquisition context made of this lock and the ones under it: the context of
  // a new acquisition is then one step from the top's.
  std::uint64_t chain;
};

// Hashes of contexts by pointers: the cache only needs to recognise a context it has seen (the
// graph compares by text, so two copies of one string literal are one class). FNV-1a steps.
std::uint64_t chain_step(std::uint64_t h, ClassKey cls, const char* file, unsigned line) {
  auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  mix(reinterpret_cast<std::uintptr_t>(cls.file));
  mix(cls.line);
  mix(reinterpret_cast<std::uintptr_t>(file));
  mix(line);
  return h | 1;  // never 0, the empty slot of the direct-mapped cache
}
constexpr std::uint64_t kChainStart = 0xcbf29ce484222325ull;

// The contexts this thread has sent to the graph, by 64-bit hash (a collision, about one in
// 2^64 per pair of contexts, would lose that context's edges): a small direct-mapped array in
// front of a hash set, so that a program's steady state costs a few instructions per lock.
class SeenContexts {
 public:
  bool contains(std::uint64_t h) {
    std::uint64_t& slot = recent_[h % recent_.size()];
    if (slot == h) return true;
    if (!all_.contains(h)) return false;
    slot = h;
    return true;
  }
  void insert(std::uint64_t h) {
    all_.insert(h);
    recent_[h % recent_.size()] = h;
  }
  void clear() {
    all_.clear();
    recent_.fill(0);
  }

 private:
  std::array<std::uint64_t, 64> recent_{};
  std::unordered_set<std::uint64_t> all_;
};

struct ThreadState {
  std::vector<Held> held;
  SeenContexts seen;
  std::uint64_t generation = 0;
  std::uint32_t id = 0;
  long tid = 0;
  ThreadState();
  ~ThreadState();
};

// The thread's state: created at its first lockdep operation, destroyed at thread exit (after
// which tls_state_gone makes lockdep operations of that thread's later destructors no-ops).
thread_local constinit ThreadState* tls_state = nullptr;
thread_local constinit bool tls_state_gone = false;

ThreadState* new_thread_state() {
  if (tls_state_gone) return nullptr;
  thread_local ThreadState state;
  tls_state = &state;
  return tls_state;
}

[[gnu::always_inline]] inline ThreadState* thread_state() {
  ThreadState* t = tls_state;
  if (t == nullptr && (t = new_thread_state()) == nullptr) [[unlikely]]
    return nullptr;
  const std::uint64_t g = generation.load(std::memory_order_acquire);
  if (t->generation != g) [[unlikely]] {
    t->held.clear();
    t->seen.clear();
    t->generation = g;
  }
  return t;
}

std::string base_name(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash != nullptr ? slash + 1 : file;
}

std::string site_text(const char* file, unsigned line, const char* function) {
  return location_text(Location{file, line, function});
}

// An edge of the graph: `from` was held (acquired at from_site) while `to` was attempted at
// to_site. Edges with the same classes and sites but other gates are other edges, as in the
// model's checker; each keeps up to two of the threads that made it (enough to know whether a
// cycle needs more than one thread).
struct Edge {
  std::uint32_t from, to;
  std::uint32_t from_site, to_site;
  std::vector<std::uint32_t> gates;  // sorted class ids
  std::vector<std::uint32_t> threads;
  std::vector<std::string> thread_names;
};

struct Graph {
  std::mutex mu;
  std::map<std::pair<std::string, unsigned>, std::uint32_t> class_ids;
  std::vector<std::string> class_names;
  std::map<std::string, std::uint32_t> site_ids;
  std::vector<std::string> site_names;
  std::vector<Edge> edges;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t,
                      std::vector<std::uint32_t>>,
           std::size_t>
      edge_index;
  std::vector<std::vector<std::size_t>> out;  // edges by `from`
  std::set<std::string> reported;
  std::vector<std::string> reports;
  std::uint32_t next_thread = 1;

  std::uint32_t class_id(const char* type, ClassKey k) {
    auto [it, added] = class_ids.try_emplace({k.file, k.line}, class_names.size());
    if (added) {
      class_names.push_back(k.line == 0 ? std::string(k.file)
                                        : std::string(type) + "@" + base_name(k.file) + ":" +
                                              std::to_string(k.line));
      out.emplace_back();
    }
    return it->second;
  }
  std::uint32_t site_id(const char* file, unsigned line, const char* function) {
    std::string text = site_text(file, line, function);
    auto [it, added] = site_ids.try_emplace(text, site_names.size());
    if (added) site_names.push_back(std::move(text));
    return it->second;
  }
};

// Never destroyed: threads may lock weft mutexes while the process exits.
Graph& graph() {
  static Graph* g = new Graph;
  return *g;
}

ThreadState::ThreadState() {
  tid = static_cast<long>(::syscall(SYS_gettid));
  Graph& g = graph();
  const std::lock_guard<std::mutex> lock(g.mu);
  id = g.next_thread++;
}
ThreadState::~ThreadState() {
  tls_state = nullptr;
  tls_state_gone = true;
}

std::string thread_label(const ThreadState& t) {
  char name[32] = "";
  pthread_getname_np(pthread_self(), name, sizeof name);
  return "thread " + std::to_string(t.id) + " (tid " + std::to_string(t.tid) +
         (name[0] != '\0' ? ", \"" + std::string(name) + "\")" : ")");
}

constexpr std::size_t kMaxCycle = 6;           // as the model's checker
constexpr std::size_t kSearchBudget = 100000;  // edges looked at per search

bool acceptable(const Graph& g, const std::vector<std::size_t>& cycle) {
  std::set<std::uint32_t> threads;
  for (std::size_t i : cycle) threads.insert(g.edges[i].threads.begin(), g.edges[i].threads.end());
  if (threads.size() < 2) return false;  // one thread cannot deadlock with itself
  std::vector<std::uint32_t> common = g.edges[cycle.front()].gates;
  for (std::size_t i : cycle) {
    std::vector<std::uint32_t> both;
    std::set_intersection(common.begin(), common.end(), g.edges[i].gates.begin(),
                          g.edges[i].gates.end(), std::back_inserter(both));
    common = std::move(both);
  }
  return common.empty();  // a common gate lock serialises the whole cycle
}

// Cycles through the edge path.front(): paths from its target back to its source.
bool search(const Graph& g, std::uint32_t at, std::vector<std::size_t>& path, std::size_t& budget) {
  const std::uint32_t start = g.edges[path.front()].from;
  if (path.size() > kMaxCycle) return false;
  for (std::size_t i : g.out[at]) {
    if (budget == 0) return false;
    --budget;
    const Edge& e = g.edges[i];
    bool revisits = false;
    for (std::size_t p : path) revisits |= g.edges[p].from == e.to && e.to != start;
    if (revisits) continue;
    path.push_back(i);
    if (e.to == start ? acceptable(g, path) : search(g, e.to, path, budget)) return true;
    path.pop_back();
  }
  return false;
}

// The report of a cycle, from the edge whose held lock's class name is smallest, so that the
// text does not depend on which edge closed it; and its key, by classes and acquisition sites.
std::pair<std::string, std::string> describe(const Graph& g,
                                             const std::vector<std::size_t>& cycle) {
  std::size_t first = 0;
  for (std::size_t k = 1; k < cycle.size(); ++k) {
    if (g.class_names[g.edges[cycle[k]].from] < g.class_names[g.edges[cycle[first]].from])
      first = k;
  }
  // One thread per edge, different threads where the edges allow it.
  std::vector<std::size_t> pick(cycle.size(), 0);
  bool all_same = true;
  for (std::size_t k = 1; k < cycle.size(); ++k)
    all_same &= g.edges[cycle[k]].threads[0] == g.edges[cycle[0]].threads[0];
  for (std::size_t k = 0; all_same && k < cycle.size(); ++k) {
    if (g.edges[cycle[k]].threads.size() > 1) {
      pick[k] = 1;
      all_same = false;
    }
  }
  std::string text = "lock order inversion (potential deadlock) between " +
                     std::to_string(cycle.size()) + " locks:";
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < cycle.size(); ++k) {
    const std::size_t at = (first + k) % cycle.size();
    const Edge& e = g.edges[cycle[at]];
    text += "\n  " + e.thread_names[pick[at]] + " holds " + g.class_names[e.from] + " (locked at " +
            g.site_names[e.from_site] + ") and waits for " + g.class_names[e.to] + " at " +
            g.site_names[e.to_site];
    keys.push_back(g.class_names[e.from] + "@" + g.site_names[e.from_site] + "->" +
                   g.class_names[e.to] + "@" + g.site_names[e.to_site]);
  }
  std::sort(keys.begin(), keys.end());
  std::string key;
  for (const std::string& k : keys) key += k + "|";
  return {text, key};
}

// Adds the edges of a new acquisition context (the graph's lock held) and reports the first new
// cycle through them.
void add_context(Graph& g, const ThreadState& t, const std::vector<Held>& held, const char* type,
                 ClassKey cls, const char* file, unsigned line, const char* function) {
  const std::uint32_t to = g.class_id(type, cls);
  const std::uint32_t to_site = g.site_id(file, line, function);
  std::vector<std::uint32_t> held_ids;
  for (const Held& h : held) held_ids.push_back(g.class_id(h.type, h.cls));
  std::string label;
  for (std::size_t i = 0; i < held.size(); ++i) {
    if (held_ids[i] == to) continue;
    std::vector<std::uint32_t> gates;
    for (std::size_t j = 0; j < held.size(); ++j) {
      if (held_ids[j] != held_ids[i]) gates.push_back(held_ids[j]);
    }
    std::sort(gates.begin(), gates.end());
    gates.erase(std::unique(gates.begin(), gates.end()), gates.end());
    const std::uint32_t from_site = g.site_id(held[i].file, held[i].line, held[i].function);
    auto [it, added] =
        g.edge_index.try_emplace({held_ids[i], to, from_site, to_site, gates}, g.edges.size());
    if (added) {
      g.edges.push_back({held_ids[i], to, from_site, to_site, std::move(gates), {}, {}});
      g.out[held_ids[i]].push_back(it->second);
    }
    Edge& e = g.edges[it->second];
    if (e.threads.size() >= 2 ||
        std::find(e.threads.begin(), e.threads.end(), t.id) != e.threads.end())
      continue;
    if (label.empty()) label = thread_label(t);
    e.threads.push_back(t.id);
    e.thread_names.push_back(label);
    // A new edge, or a known one now made by a second thread: cycles through it may be new.
    std::vector<std::size_t> path{it->second};
    std::size_t budget = kSearchBudget;
    if (!search(g, g.edges[it->second].to, path, budget)) continue;
    auto [text, key] = describe(g, path);
    if (!g.reported.insert(key).second) continue;
    const LockdepMode mode = static_cast<LockdepMode>(lockdep_state.load());
    std::fprintf(stderr, "weft lockdep: %s\n", text.c_str());
    std::fflush(stderr);
    if (mode == LockdepMode::Abort) std::abort();
    g.reports.push_back(std::move(text));
  }
}

bool same_text(const char* a, const char* b) { return a == b || std::strcmp(a, b) == 0; }

// The bodies of lockdep_acquire and lockdep_release (below, outside this namespace).
[[gnu::always_inline]] inline void acquire(const void* object, const char* type,
                                           const char* class_file, unsigned class_line,
                                           const char* file, unsigned line, const char* function,
                                           bool blocking) {
  ThreadState* t = thread_state();
  if (t == nullptr) return;
  for (Held& h : t->held) {
    if (h.object == object) {  // recursive re-entry: no new order
      ++h.depth;
      return;
    }
  }
  const ClassKey cls{class_file, class_line};
  const std::uint64_t chain =
      chain_step(t->held.empty() ? kChainStart : t->held.back().chain, cls, file, line);
  if (blocking && !t->held.empty() && !t->seen.contains(chain)) {
    bool other_class = false;
    for (const Held& h : t->held) {
      other_class |= h.cls.line != class_line || !same_text(h.cls.file, class_file);
    }
    if (other_class) {
      Graph& g = graph();
      const std::lock_guard<std::mutex> lock(g.mu);
      add_context(g, *t, t->held, type, cls, file, line, function);
    }
    t->seen.insert(chain);
  }
  t->held.push_back({object, type, cls, file, line, function, 1, chain});
}

[[gnu::always_inline]] inline void release(const void* object) {
  ThreadState* t = thread_state();
  if (t == nullptr) return;
  for (std::size_t i = t->held.size(); i-- > 0;) {
    if (t->held[i].object != object) continue;
    if (--t->held[i].depth > 0) return;
    t->held.erase(t->held.begin() + static_cast<std::ptrdiff_t>(i));
    for (; i < t->held.size(); ++i) {  // released out of order: the chains above it change
      Held& h = t->held[i];
      h.chain = chain_step(i == 0 ? kChainStart : t->held[i - 1].chain, h.cls, h.file, h.line);
    }
    return;
  }
  // Not held as far as lockdep knows: locked before lockdep was turned on.
}

}  // namespace

void lockdep_acquire(const void* object, const char* type, const char* class_file,
                     unsigned class_line, const char* file, unsigned line, const char* function,
                     bool blocking) {
  acquire(object, type, class_file, class_line, file, line, function, blocking);
}

void lockdep_release(const void* object) { release(object); }

const char* lockdep_intern_name(std::string_view name) {
  static std::mutex mu;
  static auto* names = new std::unordered_set<std::string>;
  const std::lock_guard<std::mutex> lock(mu);
  return names->emplace(name).first->c_str();
}

void lockdep_reset() {
  Graph& g = graph();
  const std::lock_guard<std::mutex> lock(g.mu);
  g.class_ids.clear();
  g.class_names.clear();
  g.site_ids.clear();
  g.site_names.clear();
  g.edges.clear();
  g.edge_index.clear();
  g.out.clear();
  g.reported.clear();
  g.reports.clear();
  generation.fetch_add(1, std::memory_order_acq_rel);
}

LockdepMode lockdep_mode_from_env(const char* value, std::string& warning) {
  warning.clear();
  if (value == nullptr) return LockdepMode::Off;
  std::string v(value);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "report") return LockdepMode::Report;
  if (v == "abort") return LockdepMode::Abort;
  if (v.empty() || v == "off" || v == "0") return LockdepMode::Off;
  warning = "weft: WEFT_LOCKDEP=" + std::string(value) +
            " is not one of report, abort, off; lock-order checking (lockdep) stays off";
  return LockdepMode::Off;
}

namespace {
// The initial mode, before main() (and before any lock this file's users take at static
// initialisation after it; earlier ones run with lockdep off).
[[maybe_unused]] const bool mode_from_environment = [] {
  std::string warning;
  const LockdepMode mode = lockdep_mode_from_env(std::getenv("WEFT_LOCKDEP"), warning);
  if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  if (mode != LockdepMode::Off) set_lockdep(mode);
  return true;
}();
}  // namespace

}  // namespace detail

void set_lockdep(LockdepMode mode) {
  const auto was = detail::lockdep_state.load(std::memory_order_relaxed);
  // Turning it on starts every thread's held locks afresh: unlocks made while it was off were
  // not seen.
  if (was == 0 && mode != LockdepMode::Off)
    detail::generation.fetch_add(1, std::memory_order_acq_rel);
  detail::lockdep_state.store(static_cast<std::uint8_t>(mode), std::memory_order_release);
  if (mode != LockdepMode::Off)
    detail::model_objects_alive.fetch_or(detail::kLockdepFlag, std::memory_order_release);
  else
    detail::model_objects_alive.fetch_and(~detail::kLockdepFlag, std::memory_order_release);
}

LockdepMode lockdep_mode() noexcept {
  return static_cast<LockdepMode>(detail::lockdep_state.load(std::memory_order_relaxed));
}

std::vector<std::string> lockdep_reports() {
  detail::Graph& g = detail::graph();
  const std::lock_guard<std::mutex> lock(g.mu);
  return g.reports;
}

}  // namespace weft
