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
    detail::Execution& ex = detail::model(model_.execution(), "Shared", where);
    detail::point(ex, detail::OpKind::Load, model_.id(), where);
    if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(value_));
    return value_;
  }
  void store(T value, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      value_ = std::move(value);
      return;
    }
    detail::Execution& ex = detail::model(model_.execution(), "Shared", where);
    detail::point(ex, detail::OpKind::Store, model_.id(), where);
    value_ = std::move(value);
    if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(value_));
  }

  // Operators cannot take a defaulted Location; their trace lines name the operator instead.
  operator T() const { return load(op_location("operator T")); }
  Shared& operator=(T value) {
    store(std::move(value), op_location("operator="));
    return *this;
  }
  Shared& operator+=(T delta) {
    store(load(op_location("operator+=")) + delta, op_location("operator+="));
    return *this;
  }
  Shared& operator-=(T delta) {
    store(load(op_location("operator-=")) - delta, op_location("operator-="));
    return *this;
  }
  Shared& operator++() {
    T v = load(op_location("operator++"));
    ++v;
    store(std::move(v), op_location("operator++"));
    return *this;
  }
  T operator++(int) {
    T old = load(op_location("operator++"));
    T v = old;
    ++v;
    store(std::move(v), op_location("operator++"));
    return old;
  }
  Shared& operator--() {
    T v = load(op_location("operator--"));
    --v;
    store(std::move(v), op_location("operator--"));
    return *this;
  }
  T operator--(int) {
    T old = load(op_location("operator--"));
    T v = old;
    --v;
    store(std::move(v), op_location("operator--"));
    return old;
  }

  void set_name(std::string_view name) { model_.rename(name); }

 private:
  static constexpr detail::ObjectKind kKind = detail::ObjectKind::Shared;
  static constexpr Location op_location(const char* op) noexcept { return Location{"", 0, op}; }

  detail::ModelObject model_;
  T value_;
};

}  // namespace weft
