// weft/detail/checker.hpp — the observer interface between the runtime and checkers/.
// The runtime reports what each operation did to happens-before, to shared memory and to
// locks; checkers keep their own state and report findings. They never call back into
// instrument/, and read names only through the Names view.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <weft/detail/clocks.hpp>
#include <weft/detail/model.hpp>
#include <weft/explore.hpp>

namespace weft::detail {

struct ModelEvent {
  enum class Kind : std::uint8_t {
    Spawn,        // `thread` started `other`
    Sync,         // `thread` did `sync` on `object`
    Read,         // of a Shared<T> `object`
    Write,        // of a Shared<T> `object`
    LockAttempt,  // `thread` starts a blocking acquisition of lock `object`
    Acquired,     // `thread` now holds lock `object` (blocking, try_lock or try_lock_for)
    Unlock,       // it released it (recursive locks: the last release)
  };
  Kind kind;
  Sync sync = Sync::Acquire;
  ThreadId thread = 0;
  ThreadId other = kNoThread;
  ObjectId object = kNoObject;
  Location where{};
  CallSite pc{};  // call site of an operator (no Location), for `Names::site`
  ValueBits value{};
  // Sync::Atomic*: the store written or read (its slot in the atomic's history), and for an
  // RMW's store the one it read (its release sequence continues).
  std::uint32_t slot = 0;
  std::uint32_t from = 0xffffffffu;
};

// MemoryModel::C11: the runtime keeps happens-before itself (to know what a load may read),
// by the rules of weft/detail/clocks.hpp, from the same events checkers see. A checker may read
// a thread's clock (as it is after the event being handled) instead of keeping the same clocks
// twice. Handed over once per execution rather than in every event: a ModelEvent is built at
// every operation, and one more field costs more to clear than the clocks save.
class ClockView {
 public:
  virtual const VectorClock& clock(ThreadId t) = 0;

 protected:
  ~ClockView() = default;
};

// Names for messages; implemented by the execution.
class Names {
 public:
  virtual ~Names() = default;
  virtual std::string thread(ThreadId) const = 0;
  virtual std::string object(ObjectId) const = 0;
  // What identifies the object across schedules: its name, the thread that created it and
  // its rank among that thread's objects of that name.
  virtual std::string object_identity(ObjectId) const = 0;
  // "file:line" of an operation, recovering the user's line from `pc` when `where` is empty.
  virtual std::string site(const Location& where, CallSite pc) const = 0;
};

struct Finding {
  BugKind kind;
  std::string message;
  std::string key;                 // deduplication: same kind and key = same bug
  std::vector<std::string> locks;  // LockOrderInversion: the locks of the cycle, by name
  std::vector<BugSite> sites;      // Bug::sites
};

// "A thread held `from` while it started a blocking acquisition of `to`", named so that it
// means the same in every schedule and every process.
struct LockEdge {
  std::string from;  // identities (Names::object_identity)
  std::string to;
  std::string from_name;  // display names
  std::string to_name;
  std::string thread;
  std::vector<std::string> gates;  // the other locks it held, sorted
  std::string from_site;           // where `from` was acquired
  std::string to_site;             // where `to` was requested
  friend bool operator==(const LockEdge&, const LockEdge&) = default;
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual void on_execution_begin() = 0;
  // The runtime's clocks for the following executions (MemoryModel::C11), or null
  // (MemoryModel::SC); called before wants(), which may depend on it.
  virtual void use_clocks(ClockView* clocks) { (void)clocks; }
  // Whether on_event wants events of this kind (asked when the checkers or the memory model are
  // set: the dispatch skips a checker for the kinds it ignores).
  virtual bool wants(ModelEvent::Kind) const { return true; }
  virtual void on_event(const ModelEvent& e) = 0;
  virtual std::vector<Finding> on_execution_end(const Names& names) = 0;
  // Lock-order edges of the execution that just ended (after on_execution_end).
  virtual std::vector<LockEdge> lock_edges() { return {}; }
  // Shared<T> variables of the execution that just ended that took part in a race (reported
  // or not): where SharedPoints::Racy makes accesses scheduling points.
  virtual void racy_objects(std::vector<ObjectId>& out) const { (void)out; }
};

// The checkers every exploration runs (checkers/).
std::vector<std::unique_ptr<Checker>> make_default_checkers();

// A lock-order graph: edges are added in order, and a cycle that a new edge closes (and that
// could deadlock) is returned as a LockOrderInversion. Explorations use one per schedule.
class LockGraph {
 public:
  virtual ~LockGraph() = default;
  virtual std::optional<Finding> add(const LockEdge& edge) = 0;
};
std::unique_ptr<LockGraph> make_lock_graph();

}  // namespace weft::detail
