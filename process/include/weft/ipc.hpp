// weft/ipc.hpp — ipc::Value, ipc::Array, ipc::Queue: Python's multiprocessing.Value, Array and
// Queue, shared between processes.
//
// Production: each object is one memfd mapped MAP_SHARED (see weft/detail/shm.hpp): private to
// the process tree, released by the kernel when the last handle in the last process is gone,
// also after SIGKILL. Handles are copyable (copies share the object) and Serializable: passed
// to weft::Process or ProcessPoolExecutor::submit, they send the memfd along (SCM_RIGHTS) and
// the receiver maps the same memory. A fork()ed child shares them as well.
//
// Value and Array mirror Python's default lock=True: every single load and store takes the
// object's lock, so one access is atomic, but `v += 1` is a load and then a store — two
// separate critical sections, which is exactly the lost update of Python's unlocked Value. Hold
// get_lock() around a read-modify-write. The lock is re-entrant (Python's RLock), so load/store
// inside it work. It is a robust process-shared mutex: if a process dies holding it, the next
// locker gets it (no hang), sees the data exactly as the dead holder left it (possibly
// half-updated), and get_lock().owner_deaths() counts such hand-overs so that a program can check
// its invariants.
//
// Model (created inside explore): the objects are model objects. A Value or Array element is a
// weft::Shared<T>: its accesses are scheduling points and are checked for races, so `v += 1`
// from two model threads without get_lock() is a LostUpdate, and with get_lock() (a model
// RecursiveMutex) it is clean. An access outside get_lock() that races with a write is reported
// even where production's per-access lock makes the single access atomic: the outcome still
// depends on the interleaving. A Queue is a weft::Queue<T>. Model processes receive copies of
// their arguments, and copies of a handle share the object, as in production.
#pragma once

#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>
#include <weft/detail/shm.hpp>
#include <weft/errors.hpp>
#include <weft/mutex.hpp>
#include <weft/queue.hpp>
#include <weft/serialize.hpp>
#include <weft/shared.hpp>

namespace weft::ipc {

template <class T>
class Value;
template <class T>
class Array;
template <class T>
class Queue;
}  // namespace weft::ipc
namespace weft::detail::ipc {
template <class T>
struct LockedState;
}  // namespace weft::detail::ipc
namespace weft::ipc {

// What get_lock() returns: lock, unlock, try_lock, try_lock_for; usable with std::lock_guard,
// std::unique_lock and std::scoped_lock. Re-entrant. Owned by the object; copies of a handle
// return the same Lock.
class Lock {
 public:
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  void lock(Location where = Location::current()) {
    if (model_ == nullptr) [[likely]] {
      check_production(where);
      detail::shm::lock(*seg_);
      return;
    }
    model_->lock(where);
  }
  bool try_lock(Location where = Location::current()) {
    if (model_ == nullptr) [[likely]] {
      check_production(where);
      return detail::shm::try_lock(*seg_);
    }
    return model_->try_lock(where);
  }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
    if (model_ == nullptr) [[likely]] {
      check_production(where);
      return detail::shm::try_lock_for(*seg_, detail::real_timeout(d));
    }
    return model_->try_lock_for(d, where);
  }
  void unlock(Location where = Location::current()) {
    if (model_ == nullptr) [[likely]] {
      check_production(where);
      detail::shm::unlock(*seg_, "ipc::Lock");
      return;
    }
    model_->unlock(where);
  }
  // How many times a process (or thread) died holding this lock and the lock was handed to the
  // next locker. Always 0 in the model, where nothing dies.
  std::uint64_t owner_deaths() const {
    return model_ == nullptr ? detail::shm::owner_deaths(*seg_) : 0;
  }

 private:
  template <class>
  friend struct detail::ipc::LockedState;
  explicit Lock(detail::shm::Segment* seg, RecursiveMutex* model) : seg_(seg), model_(model) {}
  static void check_production(const Location& where) {
    if (detail::current() != nullptr) [[unlikely]] {
      detail::throw_mode_mismatch("ipc::Lock", where);
    }
  }

  detail::shm::Segment* seg_;
  RecursiveMutex* model_;
};

}  // namespace weft::ipc

// The private parts of Value and Array handles.
namespace weft::detail::ipc {

using detail::shm::SegmentPtr;

[[noreturn]] inline void throw_bad_segment(const char* type) {
  throw SerializationError(std::string("weft::") + type +
                           ": the received file descriptor is not shared memory of this ipc "
                           "type and element type");
}
[[noreturn]] inline void throw_model_handle(const char* type) {
  throw UsageError(std::string("weft::") + type +
                   " created inside explore() cannot cross a process boundary: model processes "
                   "receive copies of their arguments, which share the object");
}
// A handle crosses as its memfd; the receiver maps it, or refuses a foreign one.
inline void send_segment(Writer& w, const SegmentPtr& seg, bool model, const char* type) {
  if (model) throw_model_handle(type);
  w.add_fd(detail::shm::fd(*seg));
}
inline SegmentPtr receive_segment(Reader& r, detail::shm::Kind kind, std::size_t elem_size,
                                  const char* type) {
  SegmentPtr seg = detail::shm::attach(r.take_fd(), kind, elem_size);
  if (seg == nullptr) throw_bad_segment(type);
  return seg;
}
inline void check_production(const char* type, const Location& where) {
  if (detail::current() != nullptr) [[unlikely]] {
    detail::throw_mode_mismatch(type, where);
  }
}

template <class T>
T bytes_to(const std::byte* p) {
  std::array<std::byte, sizeof(T)> raw;
  std::memcpy(raw.data(), p, sizeof(T));
  return std::bit_cast<T>(raw);
}

// The state behind a Value or Array handle, shared by its copies. In production `seg` holds
// the memory; in the model `cells` are the elements and `model_lock` the lock.
template <class T>
struct LockedState {
  explicit LockedState(SegmentPtr s) : seg(std::move(s)), lock(seg.get(), nullptr) {}
#ifndef WEFT_PRODUCTION_ONLY
  LockedState(std::string n, const Location& where)
      : model_lock(std::make_unique<RecursiveMutex>(n + ".lock", where)),
        lock(nullptr, model_lock.get()),
        name(std::move(n)) {}
  std::deque<Shared<T>> cells;  // deque: Shared is neither copyable nor movable
  std::unique_ptr<RecursiveMutex> model_lock;
#endif
  bool model() const noexcept {
#ifndef WEFT_PRODUCTION_ONLY
    return model_lock != nullptr;
#else
    return false;
#endif
  }
  SegmentPtr seg;
  weft::ipc::Lock lock;
  std::string name;
};

template <class T>
inline constexpr bool plain_data_v =
    std::is_trivially_copyable_v<T> && !detail::is_address_v<T> && alignof(T) <= 64;

}  // namespace weft::detail::ipc

namespace weft::ipc {

// A T in shared memory (Python's multiprocessing.Value). T: trivially copyable, no pointers.
template <class T>
class Value {
  static_assert(detail::ipc::plain_data_v<T>,
                "weft::ipc::Value<T>: T must be trivially copyable, hold no pointers (an address "
                "means nothing in another process) and be aligned to at most 64 bytes");

 public:
  Value(Location where = Location::current()) : Value(T{}, std::string_view{}, where) {}
  explicit Value(T init, Location where = Location::current())
      : Value(init, std::string_view{}, where) {}
  // `name` names the value in traces and reports (default: "ipc::Value@file:line").
  Value(T init, std::string_view name, [[maybe_unused]] Location where = Location::current()) {
#ifndef WEFT_PRODUCTION_ONLY
    if (detail::current() != nullptr) {
      s_ = std::make_shared<State>(
          name.empty() ? detail::shm::default_name("ipc::Value", where) : std::string(name), where);
      s_->cells.emplace_back(init, s_->name, where);
      return;
    }
#endif
    (void)name;
    s_ = std::make_shared<State>(
        detail::shm::create(detail::shm::Kind::Value, sizeof(T), 1, sizeof(T)));
    std::memcpy(detail::shm::data(*s_->seg), &init, sizeof(T));
  }

  T load(Location where = Location::current()) const {
    if (!s_->model()) [[likely]] {
      detail::ipc::check_production(kType, where);
      std::array<std::byte, sizeof(T)> raw;
      detail::shm::read(*s_->seg, 0, raw.data(), sizeof(T));
      return std::bit_cast<T>(raw);
    }
    return cell().load(where);
  }
  void store(T v, Location where = Location::current()) {
    if (!s_->model()) [[likely]] {
      detail::ipc::check_production(kType, where);
      detail::shm::write(*s_->seg, 0, &v, sizeof(T));
      return;
    }
    cell().store(v, where);
  }
  // The model forwards operators to Shared<T>'s, which find the caller's line from their
  // return address (operators cannot take a defaulted Location). Always inlined: a call to
  // them could be a tail call, whose return address is not in the caller's code.
  [[gnu::always_inline]] operator T() const {
    if (!s_->model()) [[likely]]
      return load();
    return static_cast<T>(cell());
  }
  [[gnu::always_inline]] Value& operator=(T v) {
    if (!s_->model()) [[likely]] {
      store(v);
    } else {
      cell() = v;
    }
    return *this;
  }
  // Not atomic: a load, then a store (two critical sections), as `v.value += 1` in Python.
  [[gnu::always_inline]] Value& operator+=(T d) {
    if (!s_->model()) [[likely]] {
      store(static_cast<T>(load() + d));
    } else {
      cell() += d;
    }
    return *this;
  }
  [[gnu::always_inline]] Value& operator-=(T d) {
    if (!s_->model()) [[likely]] {
      store(static_cast<T>(load() - d));
    } else {
      cell() -= d;
    }
    return *this;
  }
  [[gnu::always_inline]] Value& operator++() { return *this += T(1); }
  [[gnu::always_inline]] Value& operator--() { return *this -= T(1); }
  [[gnu::always_inline]] T operator++(int) {
    if (!s_->model()) [[likely]] {
      T old = load();
      store(static_cast<T>(old + T(1)));
      return old;
    }
    return cell()++;
  }
  [[gnu::always_inline]] T operator--(int) {
    if (!s_->model()) [[likely]] {
      T old = load();
      store(static_cast<T>(old - T(1)));
      return old;
    }
    return cell()--;
  }

  Lock& get_lock() const noexcept { return s_->lock; }

  friend void serialize(Writer& w, const Value& v) {
    detail::ipc::send_segment(w, v.s_->seg, v.s_->model(), kType);
  }
  friend void deserialize(Reader& r, Value& v) {
    v.s_ = std::make_shared<State>(
        detail::ipc::receive_segment(r, detail::shm::Kind::Value, sizeof(T), kType));
  }

 private:
  static constexpr const char* kType = "ipc::Value";
  using State = detail::ipc::LockedState<T>;
#ifndef WEFT_PRODUCTION_ONLY
  Shared<T>& cell() const { return s_->cells.front(); }
#else
  [[noreturn]] Shared<T>& cell() const { __builtin_unreachable(); }
#endif

  std::shared_ptr<State> s_;
};

// A fixed-size array of T in shared memory (Python's multiprocessing.Array). Each element
// access takes the lock, as for Value; to_vector() and assign() take it once for the whole
// array (like Python's slices).
template <class T>
class Array {
  static_assert(detail::ipc::plain_data_v<T>,
                "weft::ipc::Array<T>: T must be trivially copyable, hold no pointers (an address "
                "means nothing in another process) and be aligned to at most 64 bytes");

 public:
  // One element of the array: reads and writes go through the array's lock.
  class Ref {
   public:
    [[gnu::always_inline]] operator T() const {
      if (!a_->s_->model()) [[likely]]
        return a_->load(i_);
      return static_cast<T>(a_->cell(i_));
    }
    [[gnu::always_inline]] Ref& operator=(T v) {
      if (!a_->s_->model()) [[likely]] {
        a_->store(i_, v);
      } else {
        a_->cell(i_) = v;
      }
      return *this;
    }
    [[gnu::always_inline]] Ref& operator=(const Ref& other) {
      return *this = static_cast<T>(other);
    }
    [[gnu::always_inline]] Ref& operator+=(T d) {
      if (!a_->s_->model()) [[likely]] {
        a_->store(i_, static_cast<T>(a_->load(i_) + d));
      } else {
        a_->cell(i_) += d;
      }
      return *this;
    }
    [[gnu::always_inline]] Ref& operator-=(T d) {
      if (!a_->s_->model()) [[likely]] {
        a_->store(i_, static_cast<T>(a_->load(i_) - d));
      } else {
        a_->cell(i_) -= d;
      }
      return *this;
    }
    [[gnu::always_inline]] Ref& operator++() { return *this += T(1); }
    [[gnu::always_inline]] Ref& operator--() { return *this -= T(1); }

   private:
    friend class Array;
    Ref(const Array* a, std::size_t i) : a_(a), i_(i) {}
    const Array* a_;
    std::size_t i_;
  };

  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    Ref operator*() const { return (*a_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++i_;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) { return a.i_ == b.i_; }

   private:
    friend class Array;
    iterator(const Array* a, std::size_t i) : a_(a), i_(i) {}
    const Array* a_ = nullptr;
    std::size_t i_ = 0;
  };

  // An empty array (what a handle is before deserialize replaces it).
  Array(Location where = Location::current()) : Array(std::vector<T>{}, {}, where) {}
  explicit Array(std::size_t n, Location where = Location::current())
      : Array(std::vector<T>(n, T{}), {}, where) {}
  Array(std::size_t n, T init, Location where = Location::current())
      : Array(std::vector<T>(n, init), {}, where) {}
  explicit Array(const std::vector<T>& values, Location where = Location::current())
      : Array(values, {}, where) {}
  // `name` names the elements in traces ("name[i]"; default "ipc::Array@file:line[i]").
  Array(const std::vector<T>& values, std::string_view name,
        [[maybe_unused]] Location where = Location::current()) {
#ifndef WEFT_PRODUCTION_ONLY
    if (detail::current() != nullptr) {
      s_ = std::make_shared<State>(
          name.empty() ? detail::shm::default_name("ipc::Array", where) : std::string(name), where);
      for (std::size_t i = 0; i < values.size(); ++i) {
        s_->cells.emplace_back(values[i], s_->name + "[" + std::to_string(i) + "]", where);
      }
      size_ = values.size();
      return;
    }
#endif
    (void)name;
    s_ = std::make_shared<State>(detail::shm::create(detail::shm::Kind::Array, sizeof(T),
                                                     values.size(), values.size() * sizeof(T)));
    if (!values.empty()) {
      std::memcpy(detail::shm::data(*s_->seg), values.data(), values.size() * sizeof(T));
    }
    size_ = values.size();
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // std::out_of_range for an index at or past size().
  T load(std::size_t i, Location where = Location::current()) const {
    check_index(i);
    if (!s_->model()) [[likely]] {
      detail::ipc::check_production(kType, where);
      std::array<std::byte, sizeof(T)> raw;
      detail::shm::read(*s_->seg, i * sizeof(T), raw.data(), sizeof(T));
      return std::bit_cast<T>(raw);
    }
    return cell(i).load(where);
  }
  void store(std::size_t i, T v, Location where = Location::current()) const {
    check_index(i);
    if (!s_->model()) [[likely]] {
      detail::ipc::check_production(kType, where);
      detail::shm::write(*s_->seg, i * sizeof(T), &v, sizeof(T));
      return;
    }
    cell(i).store(v, where);
  }
  Ref operator[](std::size_t i) const {
    check_index(i);
    return Ref(this, i);
  }
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size_); }

  // A copy of every element. Production: under one lock acquisition, so it is a consistent
  // snapshot; model: one load per element.
  std::vector<T> to_vector(Location where = Location::current()) const {
    std::vector<T> out;
    out.reserve(size_);
    if (!s_->model()) [[likely]] {
      detail::ipc::check_production(kType, where);
      out.resize(size_);
      if (size_ != 0) detail::shm::read(*s_->seg, 0, out.data(), size_ * sizeof(T));
      return out;
    }
    for (std::size_t i = 0; i < size_; ++i) out.push_back(cell(i).load(where));
    return out;
  }
  // Replaces every element (std::invalid_argument if the sizes differ).
  void assign(const std::vector<T>& values, Location where = Location::current()) const {
    if (values.size() != size_) {
      throw std::invalid_argument("weft::ipc::Array::assign: " + std::to_string(values.size()) +
                                  " values for an array of size " + std::to_string(size_));
    }
    if (!s_->model()) [[likely]] {
      detail::ipc::check_production(kType, where);
      if (size_ != 0) detail::shm::write(*s_->seg, 0, values.data(), size_ * sizeof(T));
      return;
    }
    for (std::size_t i = 0; i < size_; ++i) cell(i).store(values[i], where);
  }

  Lock& get_lock() const noexcept { return s_->lock; }

  friend void serialize(Writer& w, const Array& a) {
    detail::ipc::send_segment(w, a.s_->seg, a.s_->model(), kType);
  }
  friend void deserialize(Reader& r, Array& a) {
    auto seg = detail::ipc::receive_segment(r, detail::shm::Kind::Array, sizeof(T), kType);
    a.size_ = detail::shm::count(*seg);
    a.s_ = std::make_shared<State>(std::move(seg));
  }

 private:
  static constexpr const char* kType = "ipc::Array";
  using State = detail::ipc::LockedState<T>;
  void check_index(std::size_t i) const {
    if (i >= size_) {
      throw std::out_of_range("weft::ipc::Array: index " + std::to_string(i) +
                              " out of range for size " + std::to_string(size_));
    }
  }
#ifndef WEFT_PRODUCTION_ONLY
  Shared<T>& cell(std::size_t i) const { return s_->cells[i]; }
#else
  [[noreturn]] Shared<T>& cell(std::size_t) const { __builtin_unreachable(); }
#endif

  std::shared_ptr<State> s_;
  std::size_t size_ = 0;
};

// A FIFO between processes with the members of weft::Queue (Python's multiprocessing.Queue,
// plus queue.Queue's task_done/join and 3.13's shutdown). T: Serializable.
//
// Production: one shared ring of serialized messages (an 8-byte length, the bytes, padded to
// 8) guarded by a robust process-shared mutex, with futex waits. `capacity_bytes` bounds the
// ring (default 1 MiB): put blocks while the message does not fit, as it does while `maxsize`
// items are queued (0 = no item limit). A single message larger than the ring (its serialized
// size above capacity_bytes - 8) throws std::length_error at put; nothing is queued. Items
// cannot carry file descriptors (ipc handles): pass those as Process arguments. Waiters spin
// for a few microseconds before sleeping, and a wake-up is a system call only when somebody
// sleeps, so a busy producer and consumer exchange items without entering the kernel.
//
// Model: a weft::Queue<T> (every member a scheduling point; put blocks on maxsize only). Each
// put still serializes the item, so that an item production would refuse fails the same way.
template <class T>
class Queue {
  static_assert(Serializable<T>,
                "weft::ipc::Queue<T>: T must be Serializable (see weft/serialize.hpp)");

 public:
  static constexpr std::size_t kDefaultCapacity = std::size_t{1} << 20;

  explicit Queue(std::size_t maxsize = 0, Location where = Location::current())
      : Queue(maxsize, kDefaultCapacity, where) {}
  Queue(std::size_t maxsize, std::size_t capacity_bytes, Location where = Location::current())
      : Queue(maxsize, capacity_bytes, {}, where) {}
  Queue(std::size_t maxsize, std::size_t capacity_bytes, std::string_view name,
        [[maybe_unused]] Location where = Location::current())
      : s_(std::make_shared<State>()) {
#ifndef WEFT_PRODUCTION_ONLY
    if (detail::current() != nullptr) {
      s_->model = std::make_unique<weft::Queue<T>>(
          maxsize,
          name.empty() ? detail::shm::default_name("ipc::Queue", where) : std::string(name), where);
      s_->max_message = capacity_of(capacity_bytes) - 8;
      return;
    }
#endif
    (void)name;
    s_->seg = detail::shm::create_queue(sizeof(T), maxsize, capacity_of(capacity_bytes));
    s_->max_message = detail::shm::queue_max_message(*s_->seg);
  }

  // Blocks while the queue is full. Throws QueueShutDown once the queue is shut down.
  void put(T item, Location where = Location::current()) {
    put_impl(item, detail::shm::Wait::Forever, {}, where);
  }
  // False (and the item dropped) if the queue is full.
  bool try_put(T item, Location where = Location::current()) {
    return put_impl(item, detail::shm::Wait::No, {}, where);
  }
  template <class R, class P>
  bool put_for(T item, std::chrono::duration<R, P> d, Location where = Location::current()) {
    return put_impl(item, detail::shm::Wait::For, detail::saturating_ns(d), where);
  }
  // Blocks while the queue is empty. Throws QueueShutDown once it is shut down and empty.
  T get(Location where = Location::current()) {
    return *get_impl(detail::shm::Wait::Forever, {}, where);
  }
  std::optional<T> try_get(Location where = Location::current()) {
    return get_impl(detail::shm::Wait::No, {}, where);
  }
  template <class R, class P>
  std::optional<T> get_for(std::chrono::duration<R, P> d, Location where = Location::current()) {
    return get_impl(detail::shm::Wait::For, detail::saturating_ns(d), where);
  }

  // One put() item has been processed (std::logic_error when called more often than put).
  void task_done(Location where = Location::current()) {
    if (model() == nullptr) [[likely]] {
      detail::ipc::check_production(kType, where);
      detail::shm::queue_task_done(*s_->seg);
      return;
    }
    model()->task_done(where);
  }
  // Returns when every item put was task_done() (or dropped by shutdown(true)).
  void join(Location where = Location::current()) {
    if (model() == nullptr) [[likely]] {
      detail::ipc::check_production(kType, where);
      detail::shm::queue_join(*s_->seg);
      return;
    }
    model()->join(where);
  }
  // Makes put throw QueueShutDown; getters drain what is left, then throw. `immediate` drops
  // what is left (counting it as done) so that getters throw at once.
  void shutdown(bool immediate = false, Location where = Location::current()) {
    if (model() == nullptr) [[likely]] {
      detail::ipc::check_production(kType, where);
      detail::shm::queue_shutdown(*s_->seg, immediate);
      return;
    }
    model()->shutdown(immediate, where);
  }
  std::size_t size(Location where = Location::current()) const {
    if (model() == nullptr) [[likely]] {
      detail::ipc::check_production(kType, where);
      return detail::shm::queue_size(*s_->seg);
    }
    return model()->size(where);
  }
  bool empty(Location where = Location::current()) const { return size(where) == 0; }
  std::size_t maxsize() const {
    return model() == nullptr ? detail::shm::queue_maxsize(*s_->seg) : model()->maxsize();
  }
  // The largest serialized item that fits (capacity_bytes - 8).
  std::size_t max_message_bytes() const noexcept { return s_->max_message; }

  friend void serialize(Writer& w, const Queue& q) {
    detail::ipc::send_segment(w, q.s_->seg, q.model() != nullptr, kType);
  }
  friend void deserialize(Reader& r, Queue& q) {
    auto s = std::make_shared<State>();
    s->seg = detail::ipc::receive_segment(r, detail::shm::Kind::Queue, sizeof(T), kType);
    s->max_message = detail::shm::queue_max_message(*s->seg);
    q.s_ = std::move(s);
  }

 private:
  static constexpr const char* kType = "ipc::Queue";
  struct State {
    detail::shm::SegmentPtr seg;
#ifndef WEFT_PRODUCTION_ONLY
    std::unique_ptr<weft::Queue<T>> model;
#endif
    std::size_t max_message = 0;
  };
  static std::size_t capacity_of(std::size_t bytes) {
    bytes = bytes < 64 ? 64 : bytes;
    return (bytes + 7) & ~std::size_t{7};
  }
  weft::Queue<T>* model() const noexcept {
#ifndef WEFT_PRODUCTION_ONLY
    return s_->model.get();
#else
    return nullptr;
#endif
  }
  // The item's bytes, in a buffer reused by this thread; refuses what cannot cross.
  const Writer& encode(const T& item) const {
    thread_local Writer w;
    w.clear();
    weft::serialize(w, item);
    if (!w.fds().empty()) {
      throw UsageError(
          "weft::ipc::Queue: an item cannot carry file descriptors (ipc handles); pass those "
          "as Process arguments");
    }
    if (w.size() > s_->max_message) {
      throw std::length_error("weft::ipc::Queue: an item of " + std::to_string(w.size()) +
                              " serialized bytes does not fit the queue (at most " +
                              std::to_string(s_->max_message) + " per item; raise capacity_bytes)");
    }
    return w;
  }
  bool put_impl(T& item, detail::shm::Wait wait, std::chrono::nanoseconds d,
                const Location& where) {
    const Writer& w = encode(item);
    if (model() == nullptr) [[likely]] {
      detail::ipc::check_production(kType, where);
      const auto bytes = w.bytes();
      switch (detail::shm::queue_put(*s_->seg, bytes.data(), bytes.size(), wait,
                                     detail::real_timeout(d))) {
        case detail::shm::Status::Ok:
          return true;
        case detail::shm::Status::NotNow:
          return false;
        case detail::shm::Status::ShutDown:
          break;
      }
      throw QueueShutDown();
    }
    switch (wait) {
      case detail::shm::Wait::No:
        return model()->try_put(std::move(item), where);
      case detail::shm::Wait::For:
        return model()->put_for(std::move(item), d, where);
      case detail::shm::Wait::Forever:
        break;
    }
    model()->put(std::move(item), where);
    return true;
  }
  std::optional<T> get_impl(detail::shm::Wait wait, std::chrono::nanoseconds d,
                            const Location& where) {
    if (model() == nullptr) [[likely]] {
      detail::ipc::check_production(kType, where);
      thread_local std::vector<std::byte> buf;
      switch (detail::shm::queue_get(*s_->seg, buf, wait, detail::real_timeout(d))) {
        case detail::shm::Status::Ok:
          break;
        case detail::shm::Status::NotNow:
          return std::nullopt;
        case detail::shm::Status::ShutDown:
          throw QueueShutDown();
      }
      Reader r(std::span<const std::byte>(buf.data(), buf.size()));
      std::optional<T> out(std::in_place);
      weft::deserialize(r, *out);
      return out;
    }
    switch (wait) {
      case detail::shm::Wait::No:
        return model()->try_get(where);
      case detail::shm::Wait::For:
        return model()->get_for(d, where);
      case detail::shm::Wait::Forever:
        break;
    }
    return model()->get(where);
  }

  std::shared_ptr<State> s_;
};

}  // namespace weft::ipc
