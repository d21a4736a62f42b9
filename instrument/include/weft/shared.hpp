// weft/shared.hpp — Shared<T>: plain shared memory whose every access is a scheduling point.
//
// Production: a plain T (no synchronisation at all, exactly like an ordinary variable).
// Model: load and store are scheduling points; `+=`, `-=`, `++`, `--` are a load followed by a
// store — two points, exactly like `counter += 1` in Python — which is where lost updates live.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <weft/detail/format.hpp>
#include <weft/detail/model.hpp>

namespace weft {

template <class T>
class Shared {
 public:
  Shared(Location where = Location::current()) : model_(kKind, {}, where), value_() {}
  explicit Shared(T value, Location where = Location::current())
      : model_(kKind, {}, where), value_(std::move(value)) {}
  // Names the variable in traces and reports (default: "Shared@file:line" of the declaration).
  Shared(T value, std::string_view name, Location where = Location::current())
      : model_(kKind, name, where), value_(std::move(value)) {}
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  T load(Location where = Location::current()) const {
    if (detail::production(model_.execution())) [[likely]]
      return value_;
    return model_load(where, nullptr);
  }
  void store(T value, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      value_ = std::move(value);
      return;
    }
    model_store(std::move(value), where, nullptr);
  }

  // Operators cannot take a defaulted Location: they are kept out of line so that the caller's
  // address identifies the access site (named from debug information when reported).
  [[gnu::noinline]] operator T() const {
    if (detail::production(model_.execution())) return value_;
    return model_load(op_location("operator T"), __builtin_return_address(0));
  }
  [[gnu::noinline]] Shared& operator=(T value) {
    if (detail::production(model_.execution())) {
      value_ = std::move(value);
    } else {
      model_store(std::move(value), op_location("operator="), __builtin_return_address(0));
    }
    return *this;
  }
  [[gnu::noinline]] Shared& operator+=(T delta) {
    if (detail::production(model_.execution())) {
      value_ += delta;
    } else {
      const void* pc = __builtin_return_address(0);
      model_store(model_load(op_location("operator+="), pc) + delta, op_location("operator+="), pc);
    }
    return *this;
  }
  [[gnu::noinline]] Shared& operator-=(T delta) {
    if (detail::production(model_.execution())) {
      value_ -= delta;
    } else {
      const void* pc = __builtin_return_address(0);
      model_store(model_load(op_location("operator-="), pc) - delta, op_location("operator-="), pc);
    }
    return *this;
  }
  [[gnu::noinline]] Shared& operator++() {
    step(1, "operator++", __builtin_return_address(0));
    return *this;
  }
  [[gnu::noinline]] T operator++(int) { return step(1, "operator++", __builtin_return_address(0)); }
  [[gnu::noinline]] Shared& operator--() {
    step(-1, "operator--", __builtin_return_address(0));
    return *this;
  }
  [[gnu::noinline]] T operator--(int) {
    return step(-1, "operator--", __builtin_return_address(0));
  }

  void set_name(std::string_view name) { model_.rename(name); }

 private:
  static constexpr detail::ObjectKind kKind = detail::ObjectKind::Shared;
  static constexpr Location op_location(const char* op) noexcept { return Location{"", 0, op}; }

  // ++ and -- (a load, then a store in the model); returns the old value.
  T step(int dir, const char* op, const void* pc) {
    T old = detail::production(model_.execution()) ? value_ : model_load(op_location(op), pc);
    T v = old;
    if (dir > 0) {
      ++v;
    } else {
      --v;
    }
    if (detail::production(model_.execution())) {
      value_ = std::move(v);
    } else {
      model_store(std::move(v), op_location(op), pc);
    }
    return old;
  }
  T model_load(const Location& where, const void* pc) const {
    detail::Execution& ex = detail::model(model_.execution(), "Shared", where);
    detail::point(ex, detail::OpKind::Load, model_.id(), where);
    detail::shared_access(ex, model_.id(), false, detail::value_bits(value_), where, pc);
    if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(value_));
    return value_;
  }
  void model_store(T value, const Location& where, const void* pc) {
    detail::Execution& ex = detail::model(model_.execution(), "Shared", where);
    detail::point(ex, detail::OpKind::Store, model_.id(), where);
    value_ = std::move(value);
    detail::shared_access(ex, model_.id(), true, detail::value_bits(value_), where, pc);
    if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(value_));
  }

  detail::ModelObject model_;
  T value_;
};

}  // namespace weft
