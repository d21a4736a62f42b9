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
  // Destroys a suspended fiber from the driver: its stack is unwound (destructors run) by a
  // forced_unwind exception that must never be swallowed.
  void unwind(std::size_t slot);
  // Forgets all slots but the driver; every fiber must have finished or been unwound.
  void clear();
  std::size_t pooled_stacks() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Call inside a catch (...) handler: rethrows if the exception is Boost.Context's forced_unwind.
void rethrow_if_forced_unwind();

}  // namespace weft::detail
