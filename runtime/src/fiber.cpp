#include "fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
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

namespace ctx = boost::context;

namespace weft::detail {
namespace {

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
      ::munmap(m.base, size_);
    }
  }
  ctx::stack_context allocate() {
    if (!free_.empty()) {
      ctx::stack_context s = free_.back();
      free_.pop_back();
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
struct Fibers::Impl {
  explicit Impl(std::size_t stack_size) : pool(stack_size) { slots.emplace_back(); }
  struct Job {
    Entry entry;
    void* arg;
  };
  StackPool pool;
  std::vector<ctx::fiber> idle;  // parked fibers, ready for a new job
  std::vector<ctx::fiber> slots;
  std::vector<Job> jobs;      // by slot
  std::vector<char> fresh;    // by slot: a new fiber that has not run yet
  std::size_t unwinding = 0;  // the slot being unwound (0: none)
  ctx::fiber unwinder;        // whom to resume when it is done
  std::size_t running = 0;
  // Who switched last: the resumed side stores the suspended continuation into this slot, or
  // among the idle fibers if it parked.
  std::size_t previous = 0;
  bool previous_parked = false;

  void store(ctx::fiber&& from) {
    if (previous_parked) {
      previous_parked = false;
      idle.push_back(std::move(from));
    } else {
      slots[previous] = std::move(from);
    }
  }
  // The body of every fiber: run the job of the slot it was resumed for, park, repeat. A
  // forced_unwind (an abandoned schedule, or the pool's end) leaves the loop and the fiber.
  static ctx::fiber work(Impl* im, ctx::fiber&& from) {
    im->store(std::move(from));
    try {
      for (;;) {
        const std::size_t slot = im->running;
        im->fresh[slot] = 0;
        const Job job = im->jobs[slot];
        const std::size_t next = job.entry(job.arg, slot);
        // Being unwound, yet returned: the thread swallowed its Unwind and ran to its end.
        if (im->unwinding == slot) return std::move(im->unwinder);
        im->previous = slot;
        im->previous_parked = true;
        im->running = next;
        ctx::fiber back = std::move(im->slots[next]).resume();
        im->store(std::move(back));
      }
    } catch (const Unwind&) {
      return std::move(im->unwinder);
    }
  }
};

Fibers::Fibers(std::size_t stack_size) : impl_(std::make_unique<Impl>(stack_size)) {}
Fibers::~Fibers() { clear(); }

std::size_t Fibers::spawn(Entry entry, void* arg) {
  Impl* im = impl_.get();
  const std::size_t slot = im->slots.size();
  if (im->jobs.size() <= slot) {
    im->jobs.resize(slot + 1);
    im->fresh.resize(slot + 1);
  }
  im->jobs[slot] = Impl::Job{entry, arg};
  im->fresh[slot] = 0;
  if (!im->idle.empty()) {
    im->slots.push_back(std::move(im->idle.back()));
    im->idle.pop_back();
  } else {
    im->fresh[slot] = 1;
    im->slots.emplace_back(std::allocator_arg, PooledStack(&im->pool),
                           [im](ctx::fiber&& from) { return Impl::work(im, std::move(from)); });
  }
  return slot;
}

void Fibers::switch_to(std::size_t slot) {
  Impl* im = impl_.get();
  im->previous = im->running;
  im->running = slot;
  ctx::fiber from = std::move(im->slots[slot]).resume();
  // Back on this stack: `previous` names whoever resumed us.
  im->store(std::move(from));
}

std::size_t Fibers::running() const noexcept { return impl_->running; }

bool Fibers::suspended(std::size_t slot) const noexcept {
  return slot < impl_->slots.size() && static_cast<bool>(impl_->slots[slot]);
}

void Fibers::unwind(std::size_t slot) {
  Impl* im = impl_.get();
  const std::size_t was = im->running;
  im->running = slot;
  im->previous = slot;
  ctx::fiber doomed = std::move(im->slots[slot]);
  if (im->fresh[slot] != 0) {
    // Never ran: nothing of the thread's is on its stack. Boost.Context's own unwinding ends
    // it before its function starts (an Unwind thrown there would escape the fiber).
    { ctx::fiber gone = std::move(doomed); }
  } else {
    im->unwinding = slot;
    // Thrown where the fiber is suspended; `work` catches it at the bottom of the stack (or
    // sees the thread return, if it swallowed it) and resumes `unwinder`.
    ctx::fiber none = std::move(doomed).resume_with([im](ctx::fiber&& unwinder) -> ctx::fiber {
      im->unwinder = std::move(unwinder);
      throw Unwind{};
    });
    im->unwinding = 0;
  }
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
