// weft/clock.hpp — the steady clock of weft: virtual in model mode, real otherwise.
#pragma once

#include <chrono>
#include <cstdint>

#include <weft/detail/model.hpp>

namespace weft {

// True inside explore()/replay() (model mode). Lets one program scale itself: small sizes when
// explored, the real ones when run.
inline bool exploring() noexcept { return detail::current() != nullptr; }

// In model mode time only moves when every thread that could run is waiting for it: a sleep of
// an hour costs nothing, and which timeout fires first is part of the schedule.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock, duration>;
  static constexpr bool is_steady = true;

  static time_point now() noexcept {
    if (detail::Execution* ex = detail::current(); ex != nullptr) [[unlikely]] {
      return time_point(duration(detail::virtual_now(*ex)));
    }
    return time_point(
        std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch()));
  }
};

namespace detail {
// A relative timeout as a virtual deadline, saturating instead of overflowing.
template <class Rep, class Period>
std::int64_t deadline_after(Execution& ex, std::chrono::duration<Rep, Period> d) {
  const std::int64_t now = virtual_now(ex);
  if (d <= d.zero()) return now;
  const auto ns = std::chrono::duration_cast<std::chrono::duration<double, std::nano>>(d).count();
  const double limit = static_cast<double>(INT64_MAX - now);
  return ns >= limit ? INT64_MAX - 1 : now + static_cast<std::int64_t>(ns);
}
// A timeout as nanoseconds, saturating instead of overflowing (hours::max() waits "forever").
template <class Rep, class Period>
std::chrono::nanoseconds saturating_ns(std::chrono::duration<Rep, Period> d) {
  const auto ns = std::chrono::duration_cast<std::chrono::duration<double, std::nano>>(d).count();
  if (ns >= 9.0e18) return std::chrono::nanoseconds(INT64_MAX);
  if (ns <= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

// A timeout the standard library can add to its clock without overflowing: real waits longer
// than a century are cut to one (std::condition_variable::wait_for(hours::max()) would
// otherwise return at once).
template <class Rep, class Period>
std::chrono::nanoseconds real_timeout(std::chrono::duration<Rep, Period> d) {
  constexpr std::chrono::nanoseconds kCentury = std::chrono::hours(24 * 365 * 100);
  const std::chrono::nanoseconds ns = saturating_ns(d);
  return ns > kCentury ? kCentury : ns;
}
}  // namespace detail

}  // namespace weft
