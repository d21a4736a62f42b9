#include <pthread.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <system_error>

#include <weft/thread.hpp>

namespace weft {

void Thread::start(detail::Task fn, const Location& where, const void* outer) {
  if (detail::production(nullptr)) {
    thread_ = std::thread(std::move(fn));
    joinable_ = true;
    return;
  }
  detail::Execution& ex = *detail::current();
  detail::point(ex, detail::OpKind::Spawn, detail::kNoObject, where);
  ex_ = &ex;
  where_ = where;
  spawn_pc_ = detail::CallSite{__builtin_return_address(0), outer};
  id_ = detail::spawn(ex, std::move(fn), where);
  joinable_ = true;
  if (detail::recording(ex)) detail::trace_spawned(ex, id_);
}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (this != &other) {
    if (joinable_) abandon_joinable();
    Thread moved(std::move(other));
    swap(moved);
  }
  return *this;
}

Thread::~Thread() {
  if (joinable_) abandon_joinable();
}

void Thread::abandon_joinable() noexcept {
  if (ex_ == nullptr) std::terminate();  // what std::thread does
  // Model mode: report, and let the thread run on as if detached. This runs in destructors, so
  // the schedule is abandoned at the next scheduling point rather than here.
  if (!detail::unwinding(*ex_)) {
    detail::fail_later(*ex_, BugKind::Misuse,
                       "Thread " + detail::thread_name(*ex_, id_) + ", started at " +
                           detail::site_text(*ex_, where_, spawn_pc_) +
                           ", was destroyed while joinable (join or detach it first)");
  }
  joinable_ = false;
}

void Thread::swap(Thread& other) noexcept {
  std::swap(ex_, other.ex_);
  std::swap(id_, other.id_);
  std::swap(joinable_, other.joinable_);
  thread_.swap(other.thread_);
  std::swap(where_, other.where_);
  std::swap(spawn_pc_, other.spawn_pc_);
}

void Thread::join(Location where) {
  if (detail::production(ex_)) {
    if (!joinable_)
      throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                              "weft::Thread::join: thread is not joinable");
    thread_.join();
    joinable_ = false;
    return;
  }
  detail::Execution& ex = detail::model(ex_, "Thread", where);
  if (detail::unwinding(ex)) return;
  if (!joinable_) {
    detail::fail(ex, BugKind::Misuse,
                 "join of a Thread that is not joinable (already joined or detached) at " +
                     detail::location_text(where));
    return;
  }
  const detail::ObjectId object = detail::thread_object(ex, id_);
  detail::point(ex, detail::OpKind::Join, object, where);
  if (id_ == detail::current_thread(ex)) {
    detail::fail(
        ex, BugKind::Misuse,
        "thread " + detail::thread_name(ex, id_) + " joins itself (it would wait forever)");
    return;
  }
  while (!detail::thread_finished(ex, id_)) {
    detail::block_on(ex, object);
    if (detail::unwinding(ex)) return;
  }
  detail::sync(ex, object, detail::Sync::Acquire);  // everything the thread did -> after join
  joinable_ = false;
}

void Thread::detach(Location where) {
  if (detail::production(ex_)) {
    if (!joinable_)
      throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                              "weft::Thread::detach: thread is not joinable");
    thread_.detach();
    joinable_ = false;
    return;
  }
  detail::Execution& ex = detail::model(ex_, "Thread", where);
  if (!joinable_ && !detail::unwinding(ex)) {
    detail::fail(ex, BugKind::Misuse, "detach of a Thread that is not joinable");
    return;
  }
  joinable_ = false;
}

namespace this_thread {

void yield(Location where) {
  if (detail::Execution* ex = detail::current(); ex != nullptr) {
    detail::point(*ex, detail::OpKind::Yield, detail::kNoObject, where);
    return;
  }
  std::this_thread::yield();
}

void set_name(std::string_view name) {
  if (detail::Execution* ex = detail::current(); ex != nullptr) {
    detail::set_thread_name(*ex, name);
    return;
  }
  const std::string n(name.substr(0, 15));  // the kernel's limit
  pthread_setname_np(pthread_self(), n.c_str());
}

}  // namespace this_thread

namespace detail {

void sleep_for_ns(std::int64_t ns, const Location& where) {
  Execution& ex = *current();
  point(ex, OpKind::Sleep, kNoObject, where);
  if (ns <= 0) return;
  block_until(ex, kNoObject, virtual_now(ex) + ns);
}

}  // namespace detail
}  // namespace weft
