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
}  // namespace detail

}  // namespace weft
