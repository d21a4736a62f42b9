// weft/shared.hpp — Shared<T>: plain shared memory, every access watched by the race checker.
//
// Production: a plain T (no synchronisation at all, exactly like an ordinary variable).
// Model: every load and store is observed by the happens-before checker; they are scheduling
// points where the variable is racy (Options::shared_points, SharedPoints::Racy: it was seen
// racing) or with SharedPoints::All. `+=`, `-=`, `++`, `--` are a load followed by a store —
// two accesses, exactly like `counter += 1` in Python — which is where lost updates live.
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
    return model_load(where, {});
  }
  void store(T value, Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      value_ = std::move(value);
      return;
    }
    model_store(std::move(value), where, {});
  }

  // Operators cannot take a defaulted Location. Their model path is an out-of-line call whose
  // return address lands in the caller's code (this operator is inlined there); the barrier
  // after it keeps that call from becoming a tail call, which would lose the caller's frame.
  operator T() const {
    if (detail::production(model_.execution())) [[likely]]
      return value_;
    T v = model_op_load("operator T", __builtin_return_address(0));
    detail::compiler_barrier();
    return v;
  }
  Shared& operator=(T value) {
    if (detail::production(model_.execution())) [[likely]] {
      value_ = std::move(value);
    } else {
      model_op_store(std::move(value), "operator=", __builtin_return_address(0));
      detail::compiler_barrier();
    }
    return *this;
  }
  Shared& operator+=(T delta) {
    if (detail::production(model_.execution())) [[likely]] {
      value_ += delta;
    } else {
      model_op_add(delta, true, "operator+=", __builtin_return_address(0));
      detail::compiler_barrier();
    }
    return *this;
  }
  Shared& operator-=(T delta) {
    if (detail::production(model_.execution())) [[likely]] {
      value_ -= delta;
    } else {
      model_op_add(delta, false, "operator-=", __builtin_return_address(0));
      detail::compiler_barrier();
    }
    return *this;
  }
  Shared& operator++() {
    (void)step(true, "operator++", __builtin_return_address(0));
    return *this;
  }
  T operator++(int) { return step(true, "operator++", __builtin_return_address(0)); }
  Shared& operator--() {
    (void)step(false, "operator--", __builtin_return_address(0));
    return *this;
  }
  T operator--(int) { return step(false, "operator--", __builtin_return_address(0)); }

  void set_name(std::string_view name) { model_.rename(name); }

 private:
  static constexpr detail::ObjectKind kKind = detail::ObjectKind::Shared;
  static constexpr Location op_location(const char* op) noexcept { return Location{"", 0, op}; }

  // ++ and -- (a load, then a store in the model); returns the old value.
  T step(bool up, const char* op, const void* outer) {
    if (detail::production(model_.execution())) [[likely]] {
      T old = value_;
      if (up) {
        ++value_;
      } else {
        --value_;
      }
      return old;
    }
    T old = model_op_step(up, op, outer);
    detail::compiler_barrier();
    return old;
  }
  [[gnu::noinline]] T model_op_load(const char* op, const void* outer) const {
    return model_load(op_location(op), {__builtin_return_address(0), outer});
  }
  [[gnu::noinline]] void model_op_store(T value, const char* op, const void* outer) {
    model_store(std::move(value), op_location(op), {__builtin_return_address(0), outer});
  }
  [[gnu::noinline]] void model_op_add(T delta, bool add, const char* op, const void* outer) {
    const detail::CallSite site{__builtin_return_address(0), outer};
    T v = model_load(op_location(op), site);
    model_store(add ? T(v + delta) : T(v - delta), op_location(op), site);
  }
  [[gnu::noinline]] T model_op_step(bool up, const char* op, const void* outer) {
    const detail::CallSite site{__builtin_return_address(0), outer};
    T old = model_load(op_location(op), site);
    T v = old;
    if (up) {
      ++v;
    } else {
      --v;
    }
    model_store(std::move(v), op_location(op), site);
    return old;
  }
  static detail::ValueBits bits_of(const void* v) {
    return detail::value_bits(*static_cast<const T*>(v));
  }
  T model_load(const Location& where, detail::CallSite site) const {
    detail::Execution& ex = detail::model(model_.execution(), "Shared", where);
    if (detail::shared_point(ex, detail::OpKind::Load, model_.id(), &value_, &bits_of, where,
                             site)) {
      detail::trace_value(ex, detail::format_value(value_));
    }
    return value_;
  }
  void model_store(T value, const Location& where, detail::CallSite site) {
    detail::Execution& ex = detail::model(model_.execution(), "Shared", where);
    // Checked with the value about to be written; nothing runs between the check and the write.
    const bool rec =
        detail::shared_point(ex, detail::OpKind::Store, model_.id(), &value, &bits_of, where, site);
    value_ = std::move(value);
    if (rec) detail::trace_value(ex, detail::format_value(value_));
  }

  detail::ModelObject model_;
  T value_;
};

}  // namespace weft
