// weft/thread.hpp — Thread and this_thread: std::thread in production, a model thread (a
// fiber scheduled by the strategy) inside explore().
#pragma once

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>

namespace weft {

class Thread {
 public:
  Thread() noexcept = default;

  // Starts `f` at once. The single-callable form records the caller's line for traces.
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, Thread>) explicit Thread(
      F&& f, Location where = Location::current()) {
    start(detail::Task(std::forward<F>(f)), where);
  }
  template <class F, class A0, class... A>
  requires(!std::is_same_v<std::remove_cvref_t<A0>, Location>) explicit Thread(F&& f, A0&& a0,
                                                                               A&&... args) {
    // Arguments are decay-copied, as std::thread does.
    start(
        detail::Task([fn = std::decay_t<F>(std::forward<F>(f)),
                      tup = std::make_tuple(std::decay_t<A0>(std::forward<A0>(a0)),
                                            std::decay_t<A>(std::forward<A>(args))...)]() mutable {
          std::apply([&](auto&... a) { std::invoke(std::move(fn), std::move(a)...); }, tup);
        }),
        Location{}, __builtin_return_address(0));
  }

  Thread(Thread&& other) noexcept { swap(other); }
  Thread& operator=(Thread&& other) noexcept;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  // Destroying a joinable Thread is a Misuse bug in model mode and std::terminate otherwise.
  ~Thread();

  void join(Location where = Location::current());
  bool joinable() const noexcept { return joinable_; }
  void detach(Location where = Location::current());
  void swap(Thread& other) noexcept;

 private:
  // `outer`: the return address of a constructor with no Location (see spawn_pc_).
  void start(detail::Task fn, const Location& where, const void* outer = nullptr);
  void abandon_joinable() noexcept;

  detail::Execution* ex_ = nullptr;
  detail::ThreadId id_ = detail::kNoThread;
  bool joinable_ = false;
  std::thread thread_;
  // Model: where the thread was started, named if it is destroyed while joinable. The
  // variadic constructor cannot take a Location: its call is found from return addresses.
  Location where_{};
  detail::CallSite spawn_pc_{};
};

namespace detail {
// sleep_for in a model run: a scheduling point, then virtual time moves on by `ns`.
void sleep_for_ns(std::int64_t ns, const Location& where);
}  // namespace detail

namespace this_thread {
// Lets other threads run first. In model mode a yielding thread never starves the others,
// whatever the strategy, so spin loops with yield() terminate.
void yield(Location where = Location::current());
// Names the calling thread in traces (and, in production, for debuggers: first 15 bytes).
void set_name(std::string_view name);

template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
  if (detail::current() == nullptr) [[likely]] {
    std::this_thread::sleep_for(d);
    return;
  }
  detail::sleep_for_ns(
      detail::deadline_after(*detail::current(), d) - detail::virtual_now(*detail::current()),
      where);
}
}  // namespace this_thread

}  // namespace weft
