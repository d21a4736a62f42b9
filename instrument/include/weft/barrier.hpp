// weft/barrier.hpp — Barrier: `parties` threads wait for each other, then all go on; reusable
// (each completed round starts the next generation), like std::barrier and Python's Barrier.
#pragma once

#include <barrier>
#include <cstddef>
#include <string_view>

#include <weft/detail/model.hpp>

namespace weft {

class Barrier {
 public:
  explicit Barrier(std::size_t parties, Location where = Location::current())
      : Barrier(parties, {}, where) {}
  Barrier(std::size_t parties, std::string_view name, Location where = Location::current());
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  void arrive_and_wait(Location where = Location::current());
  void set_name(std::string_view name) { model_.rename(name); }

 private:
  detail::ModelObject model_;
  std::size_t parties_;
  std::size_t arrived_ = 0;
  std::size_t generation_ = 0;
  std::barrier<> barrier_;
};

}  // namespace weft
