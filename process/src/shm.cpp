// Shared memory for weft::ipc: memfd segments, their robust process-shared lock, and the queue
// ring. Everything that touches pthread, futex and mmap lives here so that ipc.hpp stays a thin
// shell.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <weft/detail/platform.hpp>
#include <weft/detail/shm.hpp>

namespace weft::detail::shm {
namespace {

constexpr std::uint64_t kMagic = 0x31637069'74666577ull;  // "weftipc1"
constexpr std::size_t kDataOffset = 256;  // header (with the queue's fields) fits below it

// The first bytes of every segment. `elem_size` and `count` let a receiver check that it maps
// the segment as the type it was created as.
struct Header {
  std::uint64_t magic;
  std::uint32_t kind;
  std::uint32_t elem_size;
  std::uint64_t count;
  std::uint64_t data_bytes;
  pthread_mutex_t mutex;
  std::atomic<std::uint64_t> owner_deaths;
};

// The queue's fields follow the common header. Positions are byte counts since creation (they
// never wrap in practice: 2^64 bytes); a message is an 8-byte length and the payload, padded to
// 8 bytes, so that a length never straddles the end of the ring.
struct QueueHeader {
  Header h;
  std::uint64_t maxsize;
  std::uint64_t head;
  std::uint64_t tail;  // the commit point of put: bytes below it are whole messages
  std::atomic<std::uint64_t> items;
  std::uint64_t unfinished;
  std::atomic<std::uint32_t> shut_down;
  // Futex words: bumped under the lock before a wake, read under the lock before a wait, so a
  // wake between unlocking and sleeping is never lost.
  std::atomic<std::uint32_t> not_empty_seq;
  std::atomic<std::uint32_t> not_full_seq;
  std::atomic<std::uint32_t> done_seq;
  std::uint32_t getters_waiting;
  std::uint32_t putters_waiting;
  std::uint32_t joiners_waiting;
};
static_assert(sizeof(QueueHeader) <= kDataOffset);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
              sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

[[noreturn]] void fail_errno(const char* what, int err) {
  throw std::system_error(err, std::generic_category(), std::string("weft::ipc: ") + what);
}

std::uint32_t* futex_word(std::atomic<std::uint32_t>& a) {
  return reinterpret_cast<std::uint32_t*>(&a);
}

// Not FUTEX_PRIVATE: the word lives in a mapping shared between processes.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t seen, const timespec* rel) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT, seen, rel, nullptr, 0);
}
void futex_wake(std::atomic<std::uint32_t>& word, int n) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE, n, nullptr, nullptr, 0);
}

using SteadyClock = std::chrono::steady_clock;

// Time left until `deadline`, for a relative futex timeout; false once it passed.
bool remaining(SteadyClock::time_point deadline, timespec& out) {
  const auto left = deadline - SteadyClock::now();
  if (left <= SteadyClock::duration::zero()) return false;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  out.tv_sec = static_cast<time_t>(ns / 1000000000);
  out.tv_nsec = static_cast<long>(ns % 1000000000);
  return true;
}

SteadyClock::time_point deadline_after(std::chrono::nanoseconds d) {
  const auto now = SteadyClock::now();
  if (d >= SteadyClock::time_point::max() - now) return SteadyClock::time_point::max();
  return now + std::chrono::duration_cast<SteadyClock::duration>(d);
}

}  // namespace

class Segment {
 public:
  Segment(int fd, void* base, std::size_t bytes) : fd_(fd), base_(base), bytes_(bytes) {}
  ~Segment() {
    munmap(base_, bytes_);
    close(fd_);
  }
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  Header& header() { return *static_cast<Header*>(base_); }
  QueueHeader& queue() { return *static_cast<QueueHeader*>(base_); }
  std::byte* data() { return static_cast<std::byte*>(base_) + kDataOffset; }
  int fd() const { return fd_; }

 private:
  int fd_;
  void* base_;
  std::size_t bytes_;
};

namespace {

void repair_queue(QueueHeader& q);

// Takes the segment's lock. A holder that died with it held (EOWNERDEAD) leaves the data as it
// was at its death; the lock is marked consistent, the death counted, and a queue re-derives its
// item count from the committed positions.
void acquired(Segment& s, int rc) {
  if (rc == 0) return;
  if (rc == EOWNERDEAD) {
    Header& h = s.header();
    h.owner_deaths.fetch_add(1, std::memory_order_relaxed);
    if (h.kind == static_cast<std::uint32_t>(Kind::Queue)) repair_queue(s.queue());
    pthread_mutex_consistent(&h.mutex);
    return;
  }
  fail_errno("locking the shared lock failed", rc);
}

void lock_raw(Segment& s) { acquired(s, pthread_mutex_lock(&s.header().mutex)); }

// Producer and consumer hold the queue lock for a copy each: a short spin on try_lock avoids
// sleeping in the kernel on a lock that is about to be free.
void lock_spinning(Segment& s) {
  for (int i = 0; i < 100; ++i) {
    const int rc = pthread_mutex_trylock(&s.header().mutex);
    if (rc != EBUSY) return acquired(s, rc);
    cpu_relax();
  }
  lock_raw(s);
}

void unlock_raw(Segment& s) { pthread_mutex_unlock(&s.header().mutex); }

std::uint64_t message_bytes(std::uint64_t payload) { return 8 + ((payload + 7) & ~7ull); }

void ring_copy_in(QueueHeader& q, std::byte* ring, std::uint64_t pos, const void* src,
                  std::size_t n) {
  const std::uint64_t cap = q.h.count;
  const std::uint64_t at = pos % cap;
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(n, cap - at));
  std::memcpy(ring + at, src, first);
  if (first < n) std::memcpy(ring, static_cast<const std::byte*>(src) + first, n - first);
}

void ring_copy_out(QueueHeader& q, const std::byte* ring, std::uint64_t pos, void* dst,
                   std::size_t n) {
  const std::uint64_t cap = q.h.count;
  const std::uint64_t at = pos % cap;
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(n, cap - at));
  std::memcpy(dst, ring + at, first);
  if (first < n) std::memcpy(static_cast<std::byte*>(dst) + first, ring, n - first);
}

void repair_queue(QueueHeader& q) {
  auto* ring = reinterpret_cast<std::byte*>(&q) + kDataOffset;
  std::uint64_t n = 0;
  for (std::uint64_t pos = q.head; pos < q.tail; ++n) {
    std::uint64_t len = 0;
    ring_copy_out(q, ring, pos, &len, sizeof len);
    pos += message_bytes(len);
  }
  q.items.store(n, std::memory_order_relaxed);
}

SegmentPtr map_fd(int fd, std::size_t bytes) {
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    const int err = errno;
    close(fd);
    fail_errno("mmap of the shared memory failed", err);
  }
  return std::make_shared<Segment>(fd, base, bytes);
}

}  // namespace

SegmentPtr create(Kind kind, std::size_t elem_size, std::size_t count, std::size_t data_bytes) {
  const int fd = memfd_create("weft-ipc", MFD_CLOEXEC);
  if (fd < 0) fail_errno("memfd_create failed", errno);
  const std::size_t bytes = kDataOffset + data_bytes;
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int err = errno;
    close(fd);
    fail_errno("sizing the shared memory failed", err);
  }
  SegmentPtr s = map_fd(fd, bytes);
  Header& h = s->header();  // the fresh mapping is zero-filled
  h.kind = static_cast<std::uint32_t>(kind);
  h.elem_size = static_cast<std::uint32_t>(elem_size);
  h.count = count;
  h.data_bytes = data_bytes;
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  // Value and Array load/store take the lock themselves, also inside get_lock(): re-entrant,
  // like the RLock of Python's Value.
  if (kind != Kind::Queue) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  const int rc = pthread_mutex_init(&h.mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) fail_errno("initialising the shared lock failed", rc);
  h.magic = kMagic;  // the fd reaches another process only after this returns
  return s;
}

SegmentPtr attach(int fd, Kind kind, std::size_t elem_size) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < kDataOffset) {
    close(fd);
    return nullptr;
  }
  SegmentPtr s = map_fd(fd, static_cast<std::size_t>(st.st_size));
  const Header& h = s->header();
  if (h.magic != kMagic || h.kind != static_cast<std::uint32_t>(kind) || h.elem_size != elem_size ||
      kDataOffset + h.data_bytes != static_cast<std::size_t>(st.st_size)) {
    return nullptr;  // unmapped and closed with `s`
  }
  return s;
}

int fd(const Segment& s) { return s.fd(); }
std::byte* data(Segment& s) { return s.data(); }
std::size_t count(Segment& s) { return static_cast<std::size_t>(s.header().count); }

void lock(Segment& s) { lock_raw(s); }
bool try_lock(Segment& s) {
  const int rc = pthread_mutex_trylock(&s.header().mutex);
  if (rc == EBUSY) return false;
  acquired(s, rc);
  return true;
}
bool try_lock_for(Segment& s, std::chrono::nanoseconds d) {
  const auto deadline = deadline_after(d);
  if (deadline == SteadyClock::time_point::max()) {
    lock_raw(s);
    return true;
  }
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  // steady_clock is CLOCK_MONOTONIC on Linux.
  const timespec abs{static_cast<time_t>(since_epoch / 1000000000),
                     static_cast<long>(since_epoch % 1000000000)};
  const int rc = pthread_mutex_clocklock(&s.header().mutex, CLOCK_MONOTONIC, &abs);
  if (rc == ETIMEDOUT) return false;
  acquired(s, rc);
  return true;
}
void unlock(Segment& s, const char* type) {
  const int rc = pthread_mutex_unlock(&s.header().mutex);
  if (rc == EPERM) {
    throw std::logic_error(std::string("weft::") + type +
                           ": unlock of a lock this thread does not hold");
  }
  if (rc != 0) fail_errno("unlocking the shared lock failed", rc);
}
std::uint64_t owner_deaths(Segment& s) {
  return s.header().owner_deaths.load(std::memory_order_relaxed);
}

void read(Segment& s, std::size_t offset, void* out, std::size_t n) {
  lock_raw(s);
  std::memcpy(out, s.data() + offset, n);
  unlock_raw(s);
}
void write(Segment& s, std::size_t offset, const void* in, std::size_t n) {
  lock_raw(s);
  std::memcpy(s.data() + offset, in, n);
  unlock_raw(s);
}

// ---- Queue ---------------------------------------------------------------------------------

SegmentPtr create_queue(std::size_t elem_size, std::size_t maxsize, std::size_t capacity) {
  if (capacity < 64) capacity = 64;
  capacity = (capacity + 7) & ~std::size_t{7};
  SegmentPtr s = create(Kind::Queue, elem_size, capacity, capacity);
  s->queue().maxsize = maxsize;
  return s;
}

std::size_t queue_maxsize(Segment& s) { return static_cast<std::size_t>(s.queue().maxsize); }
std::size_t queue_max_message(Segment& s) { return count(s) - 8; }

namespace {

class QueueLock {
 public:
  explicit QueueLock(Segment& s) : s_(s) { lock_spinning(s_); }
  ~QueueLock() {
    if (held_) unlock_raw(s_);
  }
  void unlock() {
    unlock_raw(s_);
    held_ = false;
  }
  void relock() {
    lock_spinning(s_);
    held_ = true;
  }

 private:
  Segment& s_;
  bool held_ = true;
};

// Sleeps on `word` (the caller holds the lock, which is released while sleeping). False when
// the deadline passed.
bool sleep_on(QueueLock& lock, std::atomic<std::uint32_t>& word, std::uint32_t& waiting, Wait wait,
              SteadyClock::time_point deadline) {
  timespec rel{};
  if (wait == Wait::For && !remaining(deadline, rel)) return false;
  const std::uint32_t seen = word.load(std::memory_order_relaxed);
  ++waiting;
  lock.unlock();
  futex_wait(word, seen, wait == Wait::For ? &rel : nullptr);
  lock.relock();
  --waiting;
  return true;
}

// Before sleeping, spin a little with the lock released: a peer that is running will usually
// change the queue within microseconds, and then nobody pays for a futex wake-up.
template <class Ready>
void spin(Ready ready) {
  for (int i = 0; i < 2000 && !ready(); ++i) cpu_relax();
}
template <class Ready>
void spin_until(QueueLock& lock, Ready ready) {
  lock.unlock();
  spin(ready);
  lock.relock();
}

}  // namespace

Status queue_put(Segment& s, const std::byte* msg, std::size_t n, Wait wait,
                 std::chrono::nanoseconds d) {
  QueueHeader& q = s.queue();
  const std::uint64_t need = message_bytes(n);
  if (need > q.h.count) {
    throw std::length_error("weft::ipc::Queue: a message of " + std::to_string(n) +
                            " bytes does not fit the queue's capacity of " +
                            std::to_string(q.h.count - 8) + " bytes per message");
  }
  const auto deadline = wait == Wait::For ? deadline_after(d) : SteadyClock::time_point{};
  QueueLock lock(s);
  auto fits = [&] {
    return (q.maxsize == 0 || q.items.load(std::memory_order_relaxed) < q.maxsize) &&
           q.tail - q.head + need <= q.h.count;
  };
  bool spun = false;
  while (true) {
    if (q.shut_down.load(std::memory_order_relaxed) != 0) return Status::ShutDown;
    if (fits()) break;
    if (wait == Wait::No) return Status::NotNow;
    if (!spun) {
      spun = true;
      // Every get takes an item and frees its bytes: a change of the count is worth a look.
      const std::uint64_t seen = q.items.load(std::memory_order_relaxed);
      spin_until(lock, [&] {
        return q.items.load(std::memory_order_relaxed) != seen ||
               q.shut_down.load(std::memory_order_relaxed) != 0;
      });
      continue;
    }
    if (!sleep_on(lock, q.not_full_seq, q.putters_waiting, wait, deadline)) {
      if (q.shut_down.load(std::memory_order_relaxed) != 0) return Status::ShutDown;
      if (fits()) break;
      return Status::NotNow;
    }
  }
  const std::uint64_t len = n;
  std::byte* ring = s.data();
  ring_copy_in(q, ring, q.tail, &len, sizeof len);
  ring_copy_in(q, ring, q.tail + 8, msg, n);
  q.tail += need;
  q.items.fetch_add(1, std::memory_order_relaxed);
  ++q.unfinished;
  const bool wake = q.getters_waiting > 0;
  if (wake) q.not_empty_seq.fetch_add(1, std::memory_order_relaxed);
  lock.unlock();
  if (wake) futex_wake(q.not_empty_seq, 1);
  return Status::Ok;
}

Status queue_get(Segment& s, std::vector<std::byte>& out, Wait wait, std::chrono::nanoseconds d) {
  QueueHeader& q = s.queue();
  const auto deadline = wait == Wait::For ? deadline_after(d) : SteadyClock::time_point{};
  auto ready = [&] {
    return q.items.load(std::memory_order_relaxed) != 0 ||
           q.shut_down.load(std::memory_order_relaxed) != 0;
  };
  // A getter that outpaces its producer finds the queue empty on almost every item: it waits
  // for the next one before taking the lock, not after, and so takes the lock once per item.
  bool spun = false;
  if (wait != Wait::No && !ready()) {
    spin(ready);
    spun = true;
  }
  QueueLock lock(s);
  while (q.items.load(std::memory_order_relaxed) == 0) {
    if (q.shut_down.load(std::memory_order_relaxed) != 0) return Status::ShutDown;
    if (wait == Wait::No) return Status::NotNow;
    if (!spun) {
      spun = true;
      spin_until(lock, ready);
      continue;
    }
    if (!sleep_on(lock, q.not_empty_seq, q.getters_waiting, wait, deadline)) {
      if (q.items.load(std::memory_order_relaxed) != 0) break;
      if (q.shut_down.load(std::memory_order_relaxed) != 0) return Status::ShutDown;
      return Status::NotNow;
    }
  }
  const std::byte* ring = s.data();
  std::uint64_t len = 0;
  ring_copy_out(q, ring, q.head, &len, sizeof len);
  out.resize(static_cast<std::size_t>(len));
  ring_copy_out(q, ring, q.head + 8, out.data(), out.size());
  q.head += message_bytes(len);  // the commit point of get
  q.items.fetch_sub(1, std::memory_order_relaxed);
  const bool wake = q.putters_waiting > 0;
  if (wake) q.not_full_seq.fetch_add(1, std::memory_order_relaxed);
  lock.unlock();
  if (wake) futex_wake(q.not_full_seq, 1);
  return Status::Ok;
}

void queue_task_done(Segment& s) {
  QueueHeader& q = s.queue();
  QueueLock lock(s);
  if (q.unfinished == 0) {
    throw std::logic_error("weft::ipc::Queue::task_done() called more times than put()");
  }
  const bool wake = --q.unfinished == 0 && q.joiners_waiting > 0;
  if (wake) q.done_seq.fetch_add(1, std::memory_order_relaxed);
  lock.unlock();
  if (wake) futex_wake(q.done_seq, INT32_MAX);
}

void queue_join(Segment& s) {
  QueueHeader& q = s.queue();
  QueueLock lock(s);
  while (q.unfinished != 0) {
    sleep_on(lock, q.done_seq, q.joiners_waiting, Wait::Forever, {});
  }
}

void queue_shutdown(Segment& s, bool immediate) {
  QueueHeader& q = s.queue();
  QueueLock lock(s);
  q.shut_down.store(1, std::memory_order_relaxed);
  if (immediate) {
    const std::uint64_t dropped = q.items.load(std::memory_order_relaxed);
    q.head = q.tail;
    q.items.store(0, std::memory_order_relaxed);
    q.unfinished -= std::min(q.unfinished, dropped);
  }
  q.not_empty_seq.fetch_add(1, std::memory_order_relaxed);
  q.not_full_seq.fetch_add(1, std::memory_order_relaxed);
  q.done_seq.fetch_add(1, std::memory_order_relaxed);
  lock.unlock();
  futex_wake(q.not_empty_seq, INT32_MAX);
  futex_wake(q.not_full_seq, INT32_MAX);
  futex_wake(q.done_seq, INT32_MAX);
}

std::size_t queue_size(Segment& s) {
  return static_cast<std::size_t>(s.queue().items.load(std::memory_order_relaxed));
}

std::string default_name(const char* type, const Location& where) {
  std::string n = type;
  if (where.file != nullptr && *where.file != '\0') {
    const char* base = std::strrchr(where.file, '/');
    n += '@';
    n += base != nullptr ? base + 1 : where.file;
    n += ':';
    n += std::to_string(where.line);
  }
  return n;
}

}  // namespace weft::detail::shm
