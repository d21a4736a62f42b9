// weft/atomic.hpp — Atomic<T>: std::atomic in production; in the model every operation is one
// scheduling point under sequential consistency (memory_order arguments are accepted and
// treated as seq_cst: weft explores interleavings, not weak-memory reorderings).
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include <weft/detail/format.hpp>
#include <weft/detail/model.hpp>

namespace weft {

template <class T>
class Atomic {
 public:
  Atomic(Location where = Location::current()) : model_(kKind, {}, where), a_(T()) {}
  explicit Atomic(T value, Location where = Location::current())
      : model_(kKind, {}, where), a_(value) {}
  Atomic(T value, std::string_view name, Location where = Location::current())
      : model_(kKind, name, where), a_(value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order mo = std::memory_order_seq_cst,
         Location where = Location::current()) const {
    if (detail::production(model_.execution())) [[likely]]
      return a_.load(mo);
    const_cast<Atomic*>(this)->enter(detail::OpKind::Load, where);
    const T v = a_.load(std::memory_order_relaxed);
    trace(v, where);
    return v;
  }
  void store(T value, std::memory_order mo = std::memory_order_seq_cst,
             Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]] {
      a_.store(value, mo);
      return;
    }
    enter(detail::OpKind::Store, where);
    a_.store(value, std::memory_order_relaxed);
    trace(value, where);
  }
  T exchange(T value, std::memory_order mo = std::memory_order_seq_cst,
             Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return a_.exchange(value, mo);
    enter(detail::OpKind::Rmw, where);
    const T old = a_.exchange(value, std::memory_order_relaxed);
    trace(old, value, where);
    return old;
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order mo = std::memory_order_seq_cst,
                               Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return a_.compare_exchange_strong(expected, desired, mo);
    enter(detail::OpKind::Rmw, where);
    const T seen = a_.load(std::memory_order_relaxed);
    const bool ok = a_.compare_exchange_strong(expected, desired, std::memory_order_relaxed);
    trace(seen, ok ? desired : seen, where);
    return ok;
  }
  // Never fails spuriously in the model (a strong CAS is one of the weak CAS's behaviours).
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order mo = std::memory_order_seq_cst,
                             Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return a_.compare_exchange_weak(expected, desired, mo);
    return compare_exchange_strong(expected, desired, mo, where);
  }
  T fetch_add(T delta, std::memory_order mo = std::memory_order_seq_cst,
              Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return a_.fetch_add(delta, mo);
    enter(detail::OpKind::Rmw, where);
    const T old = a_.fetch_add(delta, std::memory_order_relaxed);
    trace(old, static_cast<T>(old + delta), where);
    return old;
  }
  T fetch_sub(T delta, std::memory_order mo = std::memory_order_seq_cst,
              Location where = Location::current()) {
    if (detail::production(model_.execution())) [[likely]]
      return a_.fetch_sub(delta, mo);
    enter(detail::OpKind::Rmw, where);
    const T old = a_.fetch_sub(delta, std::memory_order_relaxed);
    trace(old, static_cast<T>(old - delta), where);
    return old;
  }

  void set_name(std::string_view name) { model_.rename(name); }

 private:
  static constexpr detail::ObjectKind kKind = detail::ObjectKind::Atomic;
  // Every model atomic is at least release/acquire: stores publish, loads observe.
  void enter(detail::OpKind kind, const Location& where) {
    detail::Execution& ex = detail::model(model_.execution(), "Atomic", where);
    detail::point(ex, kind, model_.id(), where);
    detail::sync(ex, model_.id(),
                 kind == detail::OpKind::Load    ? detail::Sync::Acquire
                 : kind == detail::OpKind::Store ? detail::Sync::Overwrite
                                                 : detail::Sync::AcquireRelease);
  }
  void trace(const T& v, const Location&) const {
    detail::Execution& ex = *model_.execution();
    if (detail::recording(ex)) detail::trace_value(ex, detail::format_value(v));
  }
  void trace(const T& before, const T& after, const Location&) const {
    detail::Execution& ex = *model_.execution();
    if (detail::recording(ex)) {
      detail::trace_value(ex, detail::format_value(before) + " -> " + detail::format_value(after));
    }
  }

  detail::ModelObject model_;
  std::atomic<T> a_;
};

}  // namespace weft
