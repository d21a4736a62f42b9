#include "weak_memory.hpp"

#include <algorithm>
#include <cstring>

#include <weft/detail/checker.hpp>

namespace weft::detail {

namespace {

// Whether some thread's observation of `s` (its store, or a load that read it) happens before
// the point whose clock is `clock`.
bool seen_before(const WeakMemory::Store& s, const VectorClock& clock) {
  const std::size_t n = std::min(s.seen.size(), clock.size());
  for (std::size_t u = 0; u < n; ++u) {
    if (s.seen[u] != 0 && s.seen[u] <= clock[u]) return true;
  }
  return false;
}

}  // namespace

void WeakMemory::reset() {
  threads_used_ = 0;
  objects_used_ = 0;
  histories_used_ = 0;
  seq_ = 0;
  any_sc_fence_ = false;
  pending_low_ = 0;
  atomics_.reset();
}

// Entries are reset, not freed, when first used in an execution: capacity is kept.
void WeakMemory::first_use(ThreadId t) {
  {
    if (threads_.size() <= t) threads_.resize(t + 1);
    for (std::size_t i = threads_used_; i <= t; ++i) {
      ThreadClocks& c = threads_[i];
      std::fill(c.clock.begin(), c.clock.end(), 0);
      if (c.clock.size() <= i) c.clock.resize(i + 1, 0);
      c.clock[i] = 1;
      c.yield_seq = 0;
      c.sc_fences.clear();
    }
    threads_used_ = t + 1;
  }
}

VectorClock& WeakMemory::object(ObjectId o) {
  if (o >= objects_used_) [[unlikely]] {
    if (objects_.size() <= o) objects_.resize(o + 1);
    for (std::size_t i = objects_used_; i <= o; ++i) {
      std::fill(objects_[i].begin(), objects_[i].end(), 0);
    }
    objects_used_ = o + 1;
  }
  return objects_[o];
}

WeakMemory::History& WeakMemory::history(ObjectId o, const void* latest, std::size_t size) {
  if (o >= histories_used_) [[unlikely]] {
    if (histories_.size() <= o) histories_.resize(o + 1);
    for (std::size_t i = histories_used_; i <= o; ++i) histories_[i].count = 0;
    histories_used_ = o + 1;
  }
  History& h = histories_[o];
  if (h.count == 0) {
    // The value it was constructed with: a store that happens before everything (the atomic
    // cannot be reached before its construction).
    h.size = size;
    if (h.bytes.size() < size * kHistory) h.bytes.resize(size * kHistory);
    std::memcpy(h.bytes.data(), latest, size);
    Store& s = h.ring[0];
    s.thread = kNoThread;
    s.epoch = 0;
    s.seq = 0;
    s.sc = false;
    s.initial = true;
    s.where = Location{};
    s.seen.clear();
    h.count = 1;
  }
  return h;
}

std::uint64_t WeakMemory::sc_fence_after(ThreadId u, std::uint64_t seq) {
  if (u >= threads_used_) return 0;
  const std::vector<std::uint64_t>& f = threads_[u].sc_fences;
  const auto it = std::upper_bound(f.begin(), f.end(), seq);
  return it == f.end() ? 0 : *it;
}

void WeakMemory::observe(const ModelEvent& e) {
  if (e.kind == ModelEvent::Kind::Spawn) {
    thread(std::max(e.thread, e.other));  // both exist before references are taken
    ThreadClocks& parent = threads_[e.thread];
    ThreadClocks& child = threads_[e.other];
    child.clock = parent.clock;  // the child starts after everything its parent did
    tick(child.clock, e.other);
    tick(parent.clock, e.thread);
  } else if (e.kind == ModelEvent::Kind::Sync && e.sync <= Sync::Overwrite) {
    VectorClock& o = object(e.object);
    apply_sync(thread(e.thread).clock, e.thread, o, e.sync);
  }
}

void WeakMemory::yielded(ThreadId t) { thread(t).yield_seq = seq_; }

std::uint32_t WeakMemory::load_options(ThreadId t, ObjectId o, std::memory_order mo,
                                       const void* latest, std::size_t size) {
  History& h = history(o, latest, size);
  const ThreadClocks& tc = thread(t);
  const std::uint64_t newest = h.count - 1;
  const std::uint64_t oldest = h.count > kHistory ? h.count - kHistory : 0;
  // Coherence with happens-before (CoWR, CoRR) and the yield rule.
  std::uint64_t low = oldest;
  for (std::uint64_t k = newest; k > oldest; --k) {
    const Store& s = entry(h, k);
    if (s.seq <= tc.yield_seq || seen_before(s, tc.clock)) {
      low = k;
      break;
    }
  }
  // seq_cst: a seq_cst load reads the last seq_cst store before it in S or a later store; after
  // a seq_cst fence, a load reads the last seq_cst store before the fence or a later one; a
  // store followed (in its thread) by a seq_cst fence that precedes the load (seq_cst) or the
  // load's fence in S is seen by it. S is the execution order.
  const bool sc = mo == std::memory_order_seq_cst;
  const std::uint64_t fence = tc.sc_fences.empty() ? 0 : tc.sc_fences.back();
  if ((sc || fence != 0) && low < newest) {
    const std::uint64_t bound = sc ? seq_ + 1 : fence;
    for (std::uint64_t k = newest; k > low; --k) {
      const Store& s = entry(h, k);
      bool must = s.sc && (sc || s.seq < fence);
      if (!must && any_sc_fence_) {
        const std::uint64_t f = sc_fence_after(s.thread, s.seq);
        must = f != 0 && f < bound;
      }
      if (must) {
        low = k;
        break;
      }
    }
  }
  pending_low_ = low;
  return static_cast<std::uint32_t>(newest - low + 1);
}

WeakMemory::Read WeakMemory::load(ThreadId t, ObjectId o, std::memory_order mo,
                                  std::uint32_t choice) {
  History& h = histories_[o];
  ThreadClocks& tc = thread(t);
  const std::uint64_t newest = h.count - 1;
  const std::uint64_t k = std::max(newest - std::min<std::uint64_t>(choice, newest), pending_low_);
  Store& s = entry(h, k);
  observed(s, t, at(tc.clock, t));
  const auto slot = static_cast<std::uint32_t>(k % kHistory);
  atomics_.load(tc.clock, t, o, slot, acquires(mo));
  return Read{h.bytes.data() + slot * h.size, slot, k != newest, &s, &entry(h, newest)};
}

std::uint32_t WeakMemory::store(ThreadId t, ObjectId o, std::memory_order mo, const void* value,
                                const void* latest, std::size_t size, const Location& where) {
  return put(history(o, latest, size), t, o, mo, value, where, AtomicClocks::kNoSlot);
}

std::uint32_t WeakMemory::put(History& h, ThreadId t, ObjectId o, std::memory_order mo,
                              const void* value, const Location& where, std::uint32_t from) {
  ThreadClocks& tc = thread(t);
  const std::uint64_t k = h.count++;
  const auto slot = static_cast<std::uint32_t>(k % kHistory);
  Store& s = h.ring[slot];
  s.thread = t;
  s.epoch = at(tc.clock, t);
  s.seq = ++seq_;
  s.sc = mo == std::memory_order_seq_cst;
  s.initial = false;
  s.where = where;
  // Its own thread is its first observer. Written, not tested: reading back the memory just
  // cleared stalls on the store buffer, and this runs on every atomic store.
  std::fill(s.seen.begin(), s.seen.end(), 0);
  if (s.seen.size() <= t) [[unlikely]]
    s.seen.resize(t + 1, 0);
  s.seen[t] = s.epoch;
  std::memcpy(h.bytes.data() + slot * h.size, value, h.size);
  atomics_.store(tc.clock, t, o, slot, from, releases(mo));
  return slot;
}

WeakMemory::Read WeakMemory::rmw(ThreadId t, ObjectId o, std::memory_order mo, bool wrote,
                                 const void* value, const void* latest, std::size_t size,
                                 const Location& where, std::uint32_t& new_slot) {
  History& h = history(o, latest, size);
  ThreadClocks& tc = thread(t);
  const std::uint64_t k = h.count - 1;
  Store& s = entry(h, k);
  observed(s, t, at(tc.clock, t));
  const auto slot = static_cast<std::uint32_t>(k % kHistory);
  atomics_.load(tc.clock, t, o, slot, acquires(load_order(mo, wrote)));
  const Read r{h.bytes.data() + slot * h.size, slot, false, &s, &s};
  new_slot = wrote ? put(h, t, o, mo, value, where, slot) : AtomicClocks::kNoSlot;
  return r;
}

void WeakMemory::fence(ThreadId t, std::memory_order mo) {
  ThreadClocks& tc = thread(t);
  atomics_.fence(tc.clock, t, acquires(mo), releases(mo));
  if (mo == std::memory_order_seq_cst) {
    tc.sc_fences.push_back(++seq_);
    any_sc_fence_ = true;
  }
}

}  // namespace weft::detail
