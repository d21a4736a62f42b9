#include <stdexcept>
#include <string>

#include <weft/barrier.hpp>

namespace weft {

namespace {
std::ptrdiff_t checked_parties(std::size_t parties) {
  if (parties == 0) throw std::invalid_argument("weft::Barrier: parties must be at least 1");
  return static_cast<std::ptrdiff_t>(parties);
}
}  // namespace

Barrier::Barrier(std::size_t parties, std::string_view name, Location where)
    : model_(detail::ObjectKind::Barrier, name, where),
      parties_(parties),
      barrier_(checked_parties(parties)) {}

void Barrier::arrive_and_wait(Location where) {
  if (detail::production(model_.execution())) [[likely]] {
    barrier_.arrive_and_wait();
    return;
  }
  detail::Execution& ex = detail::model(model_.execution(), "Barrier", where);
  if (detail::unwinding(ex)) return;
  detail::point(ex, detail::OpKind::Wait, model_.id(), where);
  const std::size_t generation = generation_;
  detail::sync(ex, model_.id(), detail::Sync::Release);  // every arrival before every departure
  if (++arrived_ == parties_) {
    arrived_ = 0;
    ++generation_;
    detail::wake_all(ex, model_.id());
    if (detail::recording(ex)) detail::trace_value(ex, "last of " + std::to_string(parties_));
    detail::sync(ex, model_.id(), detail::Sync::Acquire);
    return;
  }
  if (detail::recording(ex)) {
    detail::trace_value(ex, std::to_string(arrived_) + " of " + std::to_string(parties_));
  }
  while (generation_ == generation) {
    detail::block_on(ex, model_.id());
    if (detail::unwinding(ex)) return;
  }
  detail::sync(ex, model_.id(), detail::Sync::Acquire);
}

}  // namespace weft
