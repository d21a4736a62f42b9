// weft/detail/clocks.hpp — vector clocks and the synchronisation rules of the model: the
// runtime's memory model keeps happens-before with them under MemoryModel::C11 (to know what a
// load may read, and the race checker reads those clocks), and the race checker keeps its own
// with apply_sync under MemoryModel::SC. Not a public API.
#pragma once

#include <cstdint>
#include <vector>

#include <weft/detail/model.hpp>

namespace weft::detail {

using Clock = std::uint32_t;
using VectorClock = std::vector<Clock>;

// Clocks have one entry per thread, a handful; this runs twice per lock and unlock. Branchless
// (a select and a store every time): which entries grow depends on the interleaving, so a
// branch on it was mispredicted often enough to cost 10% of a condvar-heavy schedule.
inline void join_into(VectorClock& into, const VectorClock& from) {
  const std::size_t n = from.size();
  if (into.size() < n) [[unlikely]]
    into.resize(n, 0);
  Clock* d = into.data();
  const Clock* s = from.data();
  for (std::size_t i = 0; i < n; ++i) {
    const Clock a = d[i], b = s[i];
    d[i] = a < b ? b : a;
  }
}

inline Clock at(const VectorClock& vc, ThreadId t) { return t < vc.size() ? vc[t] : 0; }

inline void tick(VectorClock& vc, ThreadId t) {
  if (vc.size() <= t) vc.resize(t + 1, 0);
  ++vc[t];
}

// A lock, queue, event, ... operation's effect: `thread` is the thread's clock, `object` the
// object's. Every publication is followed by a tick, so that an event at epoch e of a thread
// happens before whatever acquired a clock whose entry for that thread is at least e.
inline void apply_sync(VectorClock& thread, ThreadId t, VectorClock& object, Sync s) {
  if (s == Sync::Acquire || s == Sync::AcquireRelease) join_into(thread, object);
  if (s == Sync::Overwrite) object = thread;
  if (s == Sync::Release || s == Sync::AcquireRelease) join_into(object, thread);
  if (s != Sync::Acquire) tick(thread, t);
}

// The synchronisation of C11 atomics (MemoryModel::C11). Each store carries a message: the
// clock an acquire that reads it (or reads a later RMW of its release sequence) joins. A
// release store's message is its thread's clock; a relaxed store's is the clock of its
// thread's last release fence (fence-to-acquire synchronisation); an RMW adds the message of
// the store it read (release sequences). A relaxed load keeps what it read for the thread's next
// acquire fence. Stores are named by (atomic, slot): the runtime reuses a slot only for a store
// that no load can read any more.
class AtomicClocks {
 public:
  // A new execution: nothing is kept.
  void reset() {
    threads_used_ = 0;
    objects_used_ = 0;
  }
  void store(VectorClock& clock, ThreadId t, ObjectId o, std::uint32_t slot, std::uint32_t from,
             bool release) {
    VectorClock& m = message(o, slot);
    if (release) {
      m = clock;
    } else {
      m = thread(t).fence;
    }
    if (from != kNoSlot) join_into(m, message(o, from));
    if (release) tick(clock, t);
  }
  void load(VectorClock& clock, ThreadId t, ObjectId o, std::uint32_t slot, bool acquire) {
    join_into(acquire ? clock : thread(t).pending, message(o, slot));
  }
  void fence(VectorClock& clock, ThreadId t, bool acquire, bool release) {
    Fences& f = thread(t);
    if (acquire) join_into(clock, f.pending);
    if (release) {
      f.fence = clock;
      tick(clock, t);
    }
  }

  static constexpr std::uint32_t kNoSlot = 0xffffffffu;

 private:
  struct Fences {
    VectorClock fence;    // the clock at the thread's last release fence
    VectorClock pending;  // what its relaxed loads read, for its next acquire fence
  };
  // Entries are reset, not freed, when first used in an execution: capacity is kept. The
  // first use is kept off the path: these run on every atomic operation.
  Fences& thread(ThreadId t) {
    if (t >= threads_used_) [[unlikely]]
      first_use_thread(t);
    return threads_[t];
  }
  VectorClock& message(ObjectId o, std::uint32_t slot) {
    if (o >= objects_used_) [[unlikely]]
      first_use_object(o);
    std::vector<VectorClock>& slots = objects_[o];
    if (slots.size() <= slot) [[unlikely]]
      slots.resize(slot + 1);
    return slots[slot];
  }
  [[gnu::noinline]] void first_use_thread(ThreadId t) {
    if (threads_.size() <= t) threads_.resize(t + 1);
    for (std::size_t i = threads_used_; i <= t; ++i) {
      threads_[i].fence.clear();
      threads_[i].pending.clear();
    }
    threads_used_ = t + 1;
  }
  [[gnu::noinline]] void first_use_object(ObjectId o) {
    if (objects_.size() <= o) objects_.resize(o + 1);
    for (std::size_t i = objects_used_; i <= o; ++i) {
      for (VectorClock& m : objects_[i]) m.clear();
    }
    objects_used_ = o + 1;
  }

  std::vector<Fences> threads_;
  std::vector<std::vector<VectorClock>> objects_;
  std::size_t threads_used_ = 0;
  std::size_t objects_used_ = 0;
};

}  // namespace weft::detail
