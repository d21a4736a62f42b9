// weft/lockdep.hpp — lock-order checking in production (lockdep).
//
// Outside explore(), weft's Mutex and RecursiveMutex are real mutexes. With lockdep on, every
// acquisition also records which locks the thread already holds, and the orders feed one
// process-wide graph whose nodes are lock classes: a lock's class is the source line that
// constructed it (or its name, for a lock constructed with one), so locks created anew each time
// at one line are one node, as the Linux kernel's lockdep keys locks by class. Edges carry the
// acquisition sites. The first cycle through a new edge is reported once, with both
// acquisition sites of every edge and the threads that made them.
//
// Off (the default) costs nothing on the lock path: the lock operations already read one word
// (detail::model_objects_alive) to know whether they have checks to make, and lockdep sets a
// bit of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

enum class LockdepMode : std::uint8_t {
  Off,     // nothing is recorded
  Report,  // each inversion is printed on stderr once and kept for lockdep_reports()
  Abort,   // the first inversion is printed on stderr, then std::abort()
};

// The initial mode comes from the environment variable WEFT_LOCKDEP (report or abort; off or
// unset: Off; any other value: a one-line warning on stderr, and Off). Locks already held when
// lockdep is turned on are not known to it (their orders are not checked).
void set_lockdep(LockdepMode mode);
LockdepMode lockdep_mode() noexcept;
// The reports so far, oldest first, each the text that was printed on stderr.
std::vector<std::string> lockdep_reports();

namespace detail {

// The mode: nonzero means lockdep is on. Read once the lock operation has seen
// kLockdepFlag (or model objects) in model_objects_alive.
extern std::atomic<std::uint8_t> lockdep_state;
inline bool lockdep_on() noexcept { return lockdep_state.load(std::memory_order_relaxed) != 0; }

// The production lock path's calls while lockdep is on (from the lock's cold hooks; these are
// not cold themselves: with lockdep on they are the path). Scalars rather than a Location, as for
// the model's calls (see LockModel): the fast path never builds one.
// `object`: the lock's identity while it is held (recursive re-entry adds no edge);
// `class_file`/`class_line`: its class (line 0: `class_file` is an interned name);
// `blocking`: a lock() that may wait (try_lock and try_lock_for add no edge, as they give up).
void lockdep_acquire(const void* object, const char* type, const char* class_file,
                     unsigned class_line, const char* file, unsigned line, const char* function,
                     bool blocking);
void lockdep_release(const void* object);
// A lock constructed with a name: the name, interned for the life of the process, is its class.
const char* lockdep_intern_name(std::string_view name);
// Forgets every edge and report and every thread's held locks (they are dropped as each thread
// next locks). For tests, which need a fresh graph per case; not for concurrent use with locking
// that matters.
void lockdep_reset();
// The mode a value of WEFT_LOCKDEP asks for (null: unset). An unknown value gives Off and sets
// `warning` to the line that is printed on stderr.
LockdepMode lockdep_mode_from_env(const char* value, std::string& warning);

}  // namespace detail
}  // namespace weft
