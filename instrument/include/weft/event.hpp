// weft/event.hpp — Event (Python threading.Event): a flag threads can wait for.
//
// Model: set, clear, is_set, wait and wait_for are scheduling points. As in Python, a wait
// ends once the event was set after it began, even if it was cleared again before the waiter
// ran; wait_for returns false only when the timeout expired with no set() meanwhile.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>

namespace weft {

namespace detail {
template <class T>
class FutureState;
}

class Event {
 public:
  explicit Event(Location where = Location::current())
      : model_(detail::ObjectKind::Event, {}, where) {}
  explicit Event(std::string_view name, Location where = Location::current())
      : model_(detail::ObjectKind::Event, name, where) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void set(Location where = Location::current());
  void clear(Location where = Location::current());
  bool is_set(Location where = Location::current()) const;
  void wait(Location where = Location::current());
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> d, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      std::unique_lock lock(m_);
      const std::uint64_t seen = sets_;
      return cv_.wait_for(lock, detail::real_timeout(d), [&] { return flag_ || sets_ != seen; });
    }
    detail::Execution& ex = detail::model(model_.execution(), "Event", where);
    return model_wait_until(detail::deadline_after(ex, d), where);
  }
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  // A future's completion is this Event's set(): traced as what it means there (`kind`), with
  // `value` (how the future ended) in the trace's value column.
  template <class T>
  friend class detail::FutureState;
  void set_as(detail::OpKind kind, const char* value, const Location& where);
  bool model_wait_until(std::int64_t deadline, const Location& where);

  detail::ModelObject model_;
  bool flag_ = false;
  std::uint64_t sets_ = 0;  // set() calls: a waiter is released by any set after it began
  mutable std::mutex m_;
  std::condition_variable cv_;
};

}  // namespace weft
