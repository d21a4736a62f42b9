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
  Shared(Location where = Location::current()) : value_() { init({}, where); }
  explicit Shared(T value, Location where = Location::current()) : value_(std::move(value)) {
    init({}, where);
  }
  // Names the variable in traces and reports (default: "Shared@file:line" of the declaration).
  Shared(T value, std::string_view name, Location where = Location::current())
      : value_(std::move(value)) {
    init(name, where);
  }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  T load(Location where = Location::current()) const {
    if (detail::production(ex_)) [[likely]]
      return value_;
    detail::Execution& ex = detail::model(ex_, "Shared", where);
    detail::point(ex, detail::OpKind::Load, id_, where);
    if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(value_));
    return value_;
  }
  void store(T value, Location where = Location::current()) {
    if (detail::production(ex_)) [[likely]] {
      value_ = std::move(value);
      return;
    }
    detail::Execution& ex = detail::model(ex_, "Shared", where);
    detail::point(ex, detail::OpKind::Store, id_, where);
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

  void set_name(std::string_view name) {
    if (ex_ != nullptr && ex_ == detail::current()) detail::name_object(*ex_, id_, name);
  }

 private:
  static constexpr Location op_location(const char* op) noexcept { return Location{"", 0, op}; }
  void init(std::string_view name, const Location& where) {
    ex_ = detail::current();
    if (ex_ == nullptr) return;
    id_ = detail::register_object(*ex_, detail::ObjectKind::Shared, where);
    if (!name.empty()) detail::name_object(*ex_, id_, name);
  }

  detail::Execution* ex_ = nullptr;
  detail::ObjectId id_ = detail::kNoObject;
  T value_;
};

}  // namespace weft
