#include "fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <boost/context/preallocated.hpp>
#include <boost/context/stack_context.hpp>
#include <cstdlib>
#include <exception>
#include <new>
#include <system_error>
#include <utility>
#include <vector>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WEFT_HAVE_VALGRIND 1
#endif

// GCC says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#ifdef WEFT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace ctx = boost::context;

namespace weft::detail {
namespace {

// AddressSanitizer knows one stack per OS thread. Unless every switch between fibers is
// announced to it, it takes a fiber's frames for the thread's: a throw on a fiber (an Unwind, a
// model thread's own exception) then clears the redzones of the wrong stack or of none ("ASan
// is ignoring requested __asan_handle_no_return"), and the ones left behind are reported later
// as stack-buffer-overflows that are not there. The side that leaves starts the switch, naming
// the stack it goes to; the side that arrives finishes it and learns the stack it came from.
// `fake` keeps the leaving side's fake stack (where detect_stack_use_after_return puts frames)
// until it is resumed; nullptr frees it, for a side that will never be resumed.
struct Stack {
  const void* bottom = nullptr;
  std::size_t size = 0;
};
#ifdef WEFT_ASAN
constexpr bool kAsan = true;
void start_switch(void** fake, Stack to) {
  __sanitizer_start_switch_fiber(fake, to.bottom, to.size);
}
Stack finish_switch(void* fake) {
  Stack from;
  __sanitizer_finish_switch_fiber(fake, &from.bottom, &from.size);
  return from;
}
void unpoison(void* p, std::size_t n) { __asan_unpoison_memory_region(p, n); }
#else
constexpr bool kAsan = false;
void start_switch(void**, Stack) {}
Stack finish_switch(void*) { return {}; }
void unpoison(void*, std::size_t) {}
#endif

// Stacks are mapped once with a guard page and reused for every later fiber: a fresh mmap per
// thread per schedule would dominate the cost of a schedule.
class StackPool {
 public:
  explicit StackPool(std::size_t size) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    size_ = (size + page - 1) / page * page + page;
    guard_ = page;
  }
  ~StackPool() {
    for (const Mapping& m : mapped_) {
#ifdef WEFT_HAVE_VALGRIND
      VALGRIND_STACK_DEREGISTER(m.valgrind_id);
#endif
      // The shadow of unmapped memory keeps its redzones: whatever is mapped here next would
      // inherit them.
      unpoison(static_cast<char*>(m.base) + guard_, size_ - guard_);
      ::munmap(m.base, size_);
    }
  }
  ctx::stack_context allocate() {
    if (!free_.empty()) {
      ctx::stack_context s = free_.back();
      free_.pop_back();
      // A fiber that ended left the redzones of its bottom frames on the stack (Boost.Context's
      // entry frame never returns, it jumps away); its successor's frames must not meet them.
      unpoison(static_cast<char*>(s.sp) - s.size, s.size);
      return s;
    }
    void* base = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    ::mprotect(base, guard_, PROT_NONE);  // overflow faults instead of corrupting a neighbour
    ctx::stack_context s;
    s.size = size_ - guard_;
    s.sp = static_cast<char*>(base) + size_;
    Mapping m{base, 0};
#ifdef WEFT_HAVE_VALGRIND
    m.valgrind_id = VALGRIND_STACK_REGISTER(s.sp, static_cast<char*>(base) + guard_);
#endif
    mapped_.push_back(m);
    free_.reserve(mapped_.size());  // deallocate() is noexcept: it must never grow the vector
    return s;
  }
  void deallocate(ctx::stack_context& s) noexcept { free_.push_back(s); }
  std::size_t pooled() const noexcept { return free_.size(); }

 private:
  struct Mapping {
    void* base;
    unsigned valgrind_id;
  };
  std::size_t size_;
  std::size_t guard_;
  std::vector<ctx::stack_context> free_;
  std::vector<Mapping> mapped_;
};

class PooledStack {
 public:
  explicit PooledStack(StackPool* pool) noexcept : pool_(pool) {}
  ctx::stack_context allocate() { return pool_->allocate(); }
  void deallocate(ctx::stack_context& s) noexcept { pool_->deallocate(s); }

 private:
  StackPool* pool_;
};

}  // namespace

// A fiber whose model thread finished is not left to exit: it parks and waits to run the next
// spawned thread. Creating a Boost.Context fiber and letting it exit cost about a thousand
// instructions per thread, as much as all the scheduling points of a small schedule.
//
// A fiber ends only by being unwound (unwind(), or the end of the pool for a parked one): it is
// resumed where it is suspended, or where it would start, and throws Unwind from there; `work`
// catches it at the bottom of the stack and returns, which ends the fiber and resumes the
// unwinder. Boost.Context's own unwinding (its fiber destructor throws forced_unwind) is not
// used for fibers of the pool: AddressSanitizer could not be told of its switches.
struct Fibers::Impl {
  explicit Impl(std::size_t stack_size) : pool(stack_size) {
    slots.emplace_back();
    stacks.emplace_back();
  }
  struct Job {
    Entry entry;
    void* arg;
  };
  StackPool pool;
  std::vector<ctx::fiber> idle;  // parked fibers, ready for a new job
  std::vector<ctx::fiber> slots;
  std::vector<Job> jobs;      // by slot
  std::size_t unwinding = 0;  // the slot being unwound (0: none)
  bool unwind_now = false;    // the next fiber to arrive throws Unwind
  ctx::fiber unwinder;        // whom to resume when it is done
  std::size_t running = 0;
  // Who switched last: the resumed side stores the suspended continuation into this slot, or
  // among the idle fibers if it parked.
  std::size_t previous = 0;
  bool previous_parked = false;
  // For AddressSanitizer only (otherwise `stacks` holds slot 0's entry and nothing more): the
  // stack of each slot (slot 0's, the OS thread's, learned when the driver first switches
  // away), of each parked fiber (by index in `idle`), and of the unwinder.
  std::vector<Stack> stacks;
  std::vector<Stack> idle_stacks;
  Stack unwinder_stack;

  Stack stack_of(std::size_t slot) const {
    if constexpr (kAsan) return stacks[slot];
    return {};
  }

  // Back on this fiber's stack after a switch (`fake`: what it left with): keeps the
  // continuation of whoever resumed it, or, resumed by unwind(), throws Unwind from here.
  void arrive(ctx::fiber&& from, void* fake) {
    const Stack came_from = finish_switch(fake);
    if (unwind_now) {
      unwind_now = false;
      unwinder = std::move(from);
      unwinder_stack = came_from;
      throw Unwind{};
    }
    if (previous_parked) {
      previous_parked = false;
      idle.push_back(std::move(from));
      if constexpr (kAsan) idle_stacks.push_back(came_from);
    } else {
      slots[previous] = std::move(from);
      if constexpr (kAsan) stacks[previous] = came_from;
    }
  }

  // The last parked fiber, into the next slot.
  void unpark() {
    slots.push_back(std::move(idle.back()));
    idle.pop_back();
    if constexpr (kAsan) {
      stacks.push_back(idle_stacks.back());
      idle_stacks.pop_back();
    }
  }

  // A new fiber on a pooled stack, in the next slot.
  void create() {
    const ctx::stack_context sc = pool.allocate();
    const Stack stack{static_cast<char*>(sc.sp) - sc.size, sc.size};
    // Boost.Context's constructor jumps onto the new stack, where the fiber's entry frame
    // keeps its record, and straight back. That is announced as a switch too, or the entry
    // frame could be put on this side's fake stack. Finishing it also tells this stack's
    // bounds, while AddressSanitizer takes the new stack for the current one: a second,
    // empty switch puts them back.
    void* fake = nullptr;
    start_switch(&fake, stack);
    ctx::fiber f(std::allocator_arg, ctx::preallocated(sc.sp, sc.size, sc), PooledStack(&pool),
                 [this](ctx::fiber&& from) { return work(this, std::move(from)); });
    const Stack here = finish_switch(fake);
    start_switch(&fake, here);
    finish_switch(fake);
    slots.push_back(std::move(f));
    if constexpr (kAsan) {
      stacks[running] = here;
      stacks.push_back(stack);
    }
  }

  // The body of every fiber: run the job of the slot it was resumed for, park, repeat, until it
  // is unwound. Every frame below the first arrive() was entered before that switch finished,
  // on the real stack: none is left on the fake stack that the last switch frees.
  static ctx::fiber work(Impl* im, ctx::fiber&& from) {
    try {
      im->arrive(std::move(from), nullptr);  // nullptr: no fake stack yet
      for (;;) {
        const std::size_t slot = im->running;
        const Job job = im->jobs[slot];
        const std::size_t next = job.entry(job.arg, slot);
        // Being unwound, yet returned: the thread swallowed its Unwind and ran to its end.
        if (im->unwinding == slot) break;
        im->previous = slot;
        im->previous_parked = true;
        im->running = next;
        void* fake = nullptr;
        start_switch(&fake, im->stack_of(next));
        ctx::fiber back = std::move(im->slots[next]).resume();
        im->arrive(std::move(back), fake);
      }
    } catch (const Unwind&) {
    }
    start_switch(nullptr, im->unwinder_stack);
    return std::move(im->unwinder);
  }
};

Fibers::Fibers(std::size_t stack_size) : impl_(std::make_unique<Impl>(stack_size)) {}

Fibers::~Fibers() {
  clear();
  // Parked fibers end as unwound ones do, from a slot of their own.
  Impl* im = impl_.get();
  while (!im->idle.empty()) {
    im->unpark();
    unwind(im->slots.size() - 1);
    im->slots.pop_back();
    if constexpr (kAsan) im->stacks.pop_back();
  }
}

std::size_t Fibers::spawn(Entry entry, void* arg) {
  Impl* im = impl_.get();
  const std::size_t slot = im->slots.size();
  if (im->jobs.size() <= slot) im->jobs.resize(slot + 1);
  im->jobs[slot] = Impl::Job{entry, arg};
  if (!im->idle.empty()) {
    im->unpark();
  } else {
    im->create();
  }
  return slot;
}

void Fibers::switch_to(std::size_t slot) {
  Impl* im = impl_.get();
  im->previous = im->running;
  im->running = slot;
  void* fake = nullptr;
  start_switch(&fake, im->stack_of(slot));
  ctx::fiber from = std::move(im->slots[slot]).resume();
  // Back on this stack: `previous` names whoever resumed us.
  im->arrive(std::move(from), fake);
}

std::size_t Fibers::running() const noexcept { return impl_->running; }

bool Fibers::suspended(std::size_t slot) const noexcept {
  return slot < impl_->slots.size() && static_cast<bool>(impl_->slots[slot]);
}

void Fibers::unwind(std::size_t slot) {
  Impl* im = impl_.get();
  const std::size_t was = im->running;
  im->running = slot;
  im->unwinding = slot;
  im->unwind_now = true;
  // The fiber throws Unwind where it is suspended (a fiber that never ran: before its thread
  // starts), and `work` ends it, which comes back here.
  void* fake = nullptr;
  start_switch(&fake, im->stack_of(slot));
  ctx::fiber none = std::move(im->slots[slot]).resume();
  finish_switch(fake);
  im->unwinding = 0;
  im->running = was;
}

void Fibers::continue_unwinding() const {
  const Impl* im = impl_.get();
  if (im->unwinding == 0 || im->running != im->unwinding) return;
  if (std::uncaught_exceptions() > 0 || std::current_exception() != nullptr) return;
  throw Unwind{};
}

void Fibers::clear() {
  Impl* im = impl_.get();
  for (std::size_t s = im->slots.size(); s-- > 1;) {
    if (im->slots[s]) unwind(s);
  }
  im->slots.resize(1);
  if constexpr (kAsan) im->stacks.resize(1);
  im->running = 0;
  im->previous = 0;
}

std::size_t Fibers::pooled_stacks() const noexcept {
  return impl_->pool.pooled() + impl_->idle.size();
}

void rethrow_if_forced_unwind() {
  try {
    throw;
  } catch (const Unwind&) {
    throw;
  } catch (const ctx::detail::forced_unwind&) {
    throw;
  } catch (...) {
  }
}

}  // namespace weft::detail
