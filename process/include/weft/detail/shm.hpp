// weft/detail/shm.hpp — shared memory segments for weft::ipc (production mode). Not a public
// API: names here may change without notice.
//
// A segment is a memfd (MFD_CLOEXEC) mapped MAP_SHARED: private to the process tree (it has no
// name; another process gets it only as a passed fd) and freed by the kernel when the last fd and
// mapping are gone, whatever way the processes ended. Its header holds a robust process-shared
// pthread mutex; the data follows at a fixed offset. The queue's ring and futex words live in the
// same header, so a queue is one segment too.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <weft/location.hpp>

namespace weft::detail::shm {

enum class Kind : std::uint32_t { Value = 1, Array = 2, Queue = 3 };

class Segment;
using SegmentPtr = std::shared_ptr<Segment>;

// A fresh segment with `data_bytes` of zeroed data; `elem_size` and `count` are recorded so that
// attach() can refuse a segment created for another type.
SegmentPtr create(Kind, std::size_t elem_size, std::size_t count, std::size_t data_bytes);
// Maps a received segment, taking ownership of `fd` (closed on every path). Null if `fd` is not
// a segment of that kind and element size.
SegmentPtr attach(int fd, Kind, std::size_t elem_size);

int fd(const Segment&);
std::byte* data(Segment&);
std::size_t count(Segment&);

// The segment's lock. A holder that died while holding it does not block the next locker: the
// lock is handed over (EOWNERDEAD), marked consistent and the death counted in owner_deaths().
// Value and Array locks are re-entrant; unlock by a thread that does not hold it throws
// std::logic_error naming `type`.
void lock(Segment&);
bool try_lock(Segment&);
bool try_lock_for(Segment&, std::chrono::nanoseconds);
void unlock(Segment&, const char* type);
std::uint64_t owner_deaths(Segment&);

// Copies under the lock: one access is atomic, as with Python's Value(lock=True).
void read(Segment&, std::size_t offset, void* out, std::size_t n);
void write(Segment&, std::size_t offset, const void* in, std::size_t n);

// ---- Queue: a ring of length-prefixed messages, bounded in bytes (and in items by maxsize).
enum class Wait { No, Forever, For };
enum class Status { Ok, NotNow, ShutDown };  // NotNow: full/empty (Wait::No) or timed out

SegmentPtr create_queue(std::size_t elem_size, std::size_t maxsize, std::size_t capacity_bytes);
std::size_t queue_maxsize(Segment&);
// The largest message (serialized bytes) that fits; a bigger one throws std::length_error.
std::size_t queue_max_message(Segment&);
Status queue_put(Segment&, const std::byte* msg, std::size_t n, Wait, std::chrono::nanoseconds);
Status queue_get(Segment&, std::vector<std::byte>& out, Wait, std::chrono::nanoseconds);
void queue_task_done(Segment&);  // std::logic_error when called more often than put
void queue_join(Segment&);
void queue_shutdown(Segment&, bool immediate);
std::size_t queue_size(Segment&);

// "ipc::Value@file.cpp:12": the model name of an object declared at `where`.
std::string default_name(const char* type, const Location& where);

}  // namespace weft::detail::shm
