// fiber.hpp — the execution contexts of model threads. The only part of weft that knows
// Boost.Context; everything else sees slots and switch_to().
#pragma once

#include <cstddef>
#include <memory>

namespace weft::detail {

// Slot 0 is the driver: the OS thread's own stack, which runs explore(). Slots 1.. are fibers
// on pooled stacks. Only one slot runs at a time; switch_to() suspends the running one.
class Fibers {
 public:
  // Runs the model thread of `slot`; returns the slot to resume once it has finished.
  using Entry = std::size_t (*)(void* arg, std::size_t slot);

  explicit Fibers(std::size_t stack_size);
  ~Fibers();
  Fibers(const Fibers&) = delete;
  Fibers& operator=(const Fibers&) = delete;

  // Gives the next free slot a suspended fiber (a parked one whose thread finished, else a new
  // one); `entry` starts at the slot's first switch_to().
  std::size_t spawn(Entry entry, void* arg);
  void switch_to(std::size_t slot);
  std::size_t running() const noexcept;
  bool suspended(std::size_t slot) const noexcept;
  // Ends a suspended fiber from the driver: its stack is unwound (destructors run) by an
  // Unwind exception thrown where it is suspended.
  void unwind(std::size_t slot);
  // Called by an operation that finds its run abandoned: if this is a fiber being unwound and
  // no exception is in flight or being handled here, a catch (...) swallowed the Unwind and
  // the thread went on; it is thrown again from here, so that the thread still ends.
  void continue_unwinding() const;
  // Forgets all slots but the driver; every fiber must have finished or been unwound.
  void clear();
  std::size_t pooled_stacks() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What unwinds the stack of an abandoned model thread. Not a std::exception: `catch (const
// std::exception&)` lets it pass; `catch (...)` must rethrow it (if it does not, the thread's
// next scheduling point throws it again).
struct Unwind {};

// Call inside a catch (...) handler: rethrows if the exception unwinds a fiber (weft's Unwind,
// or Boost.Context's forced_unwind, should a suspended fiber ever be destroyed as such).
void rethrow_if_forced_unwind();

}  // namespace weft::detail
