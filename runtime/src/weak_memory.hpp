// weak_memory.hpp — MemoryModel::C11: each atomic's recent stores, happens-before as vector
// clocks, and which of those stores a load may read.
//
// Modification order is the order in which stores execute (each new store goes at the end), so
// CoWW and CoRW hold by construction; a load may read any kept store that is not older than one
// it must see: the newest store that happens before it (CoWR), that a load happening before it
// read (CoRR), that its thread saw before its last yield (fairness), and what the seq_cst rules
// require (the total order S is the execution order of seq_cst operations and fences). A value
// is never read before the store that writes it has executed: no out-of-thin-air values.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include <weft/detail/checker.hpp>
#include <weft/detail/clocks.hpp>
#include <weft/detail/model.hpp>

namespace weft::detail {

class WeakMemory final : public ClockView {
 public:
  // Stores kept per atomic: a load cannot read an older one (fewer behaviours, never more).
  static constexpr std::uint32_t kHistory = 8;

  struct Store {
    ThreadId thread = kNoThread;
    Clock epoch = 0;        // its thread's clock entry when it stored
    std::uint64_t seq = 0;  // its place in the execution order of stores and seq_cst fences
    bool sc = false;        // a seq_cst store
    bool initial = false;   // the value the atomic was constructed with
    Location where{};
    VectorClock seen;  // seen[u]: the epoch of thread u's first observation, 0 = none
  };
  struct Read {
    const void* bytes;
    std::uint32_t slot;
    bool stale;  // not the newest store
    const Store* store;
    const Store* newest;
  };

  void reset();

  // Happens-before from spawns and the other primitives: the events the race checker sees.
  void observe(const ModelEvent& e);
  // The thread yielded (or slept, or blocked): the stores made until now become visible to it,
  // so that a loop that waits for a store ends.
  void yielded(ThreadId t);
  // Thread t's happens-before clock, for checkers (ClockView).
  const VectorClock& clock(ThreadId t) override { return thread(t).clock; }

  // How many stores a load may read (at least 1): it is then `load(..., choice)`, choice 0
  // being the newest. `latest` (the atomic's value) makes the initial store on first use.
  std::uint32_t load_options(ThreadId t, ObjectId o, std::memory_order mo, const void* latest,
                             std::size_t size);
  Read load(ThreadId t, ObjectId o, std::memory_order mo, std::uint32_t choice);
  // Returns the slot of the new store.
  std::uint32_t store(ThreadId t, ObjectId o, std::memory_order mo, const void* value,
                      const void* latest, std::size_t size, const Location& where);
  // An RMW reads the newest store (returned), then stores if `wrote` (`new_slot`).
  Read rmw(ThreadId t, ObjectId o, std::memory_order mo, bool wrote, const void* value,
           const void* latest, std::size_t size, const Location& where, std::uint32_t& new_slot);
  void fence(ThreadId t, std::memory_order mo);

  static bool acquires(std::memory_order mo) {
    return mo == std::memory_order_acquire || mo == std::memory_order_consume ||
           mo == std::memory_order_acq_rel || mo == std::memory_order_seq_cst;
  }
  // The order of an RMW's read: a compare-exchange that fails is a load, with the order it
  // implies for one.
  static std::memory_order load_order(std::memory_order mo, bool wrote) {
    if (wrote) return mo;
    if (mo == std::memory_order_acq_rel) return std::memory_order_acquire;
    if (mo == std::memory_order_release) return std::memory_order_relaxed;
    return mo;
  }
  static bool releases(std::memory_order mo) {
    return mo == std::memory_order_release || mo == std::memory_order_acq_rel ||
           mo == std::memory_order_seq_cst;
  }

 private:
  struct ThreadClocks {
    VectorClock clock;
    std::uint64_t yield_seq = 0;           // stores up to this seq are visible to it
    std::vector<std::uint64_t> sc_fences;  // seqs of its seq_cst fences, ascending
  };
  struct History {
    std::array<Store, kHistory> ring;
    std::uint64_t count = 0;  // stores so far, the initial one included
    std::size_t size = 0;     // of a value
    std::vector<unsigned char> bytes;
  };

  ThreadClocks& thread(ThreadId t) {
    if (t >= threads_used_) [[unlikely]]
      first_use(t);
    return threads_[t];
  }
  [[gnu::noinline]] void first_use(ThreadId t);
  VectorClock& object(ObjectId o);
  History& history(ObjectId o, const void* latest, std::size_t size);
  Store& entry(History& h, std::uint64_t k) { return h.ring[k % kHistory]; }
  // Runs on every atomic operation: inline, the growth kept off the path.
  static void observed(Store& s, ThreadId t, Clock epoch) {
    if (s.seen.size() <= t) [[unlikely]]
      s.seen.resize(t + 1, 0);
    if (s.seen[t] == 0) s.seen[t] = epoch;
  }
  // Appends a store; `from`: the slot of the store an RMW read (its release sequence).
  std::uint32_t put(History& h, ThreadId t, ObjectId o, std::memory_order mo, const void* value,
                    const Location& where, std::uint32_t from);
  // The seq of thread u's first seq_cst fence after `seq`, or 0.
  std::uint64_t sc_fence_after(ThreadId u, std::uint64_t seq);

  std::vector<ThreadClocks> threads_;
  std::vector<VectorClock> objects_;
  std::vector<History> histories_;
  std::size_t threads_used_ = 0;
  std::size_t objects_used_ = 0;
  std::size_t histories_used_ = 0;
  std::uint64_t seq_ = 0;
  bool any_sc_fence_ = false;
  AtomicClocks atomics_;
  std::uint64_t pending_low_ = 0;  // load_options' oldest readable store, for load()
};

}  // namespace weft::detail
