// weft/event.hpp — Event (Python threading.Event): a flag threads can wait for.
//
// Model: set, clear, is_set, wait and wait_for are scheduling points. wait_for returns the
// flag at the end: false when the timeout expired before a set().
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>

#include <weft/clock.hpp>
#include <weft/detail/model.hpp>

namespace weft {

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
      return cv_.wait_for(lock, d, [&] { return flag_; });
    }
    detail::Execution& ex = detail::model(model_.execution(), "Event", where);
    return model_wait_until(detail::deadline_after(ex, d), where);
  }
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  bool model_wait_until(std::int64_t deadline, const Location& where);

  detail::ModelObject model_;
  bool flag_ = false;
  mutable std::mutex m_;
  std::condition_variable cv_;
};

}  // namespace weft
