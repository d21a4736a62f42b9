// weft/atomic.hpp — Atomic<T>: std::atomic in production; in the model every operation is one
// scheduling point. Under MemoryModel::C11 (the default) the memory_order arguments are
// honoured: a load may read an older store than the latest (a recorded choice) when coherence
// and happens-before allow it, and only release/acquire (and seq_cst) operations and fences
// synchronise, for the memory model and for the race checker alike. Under MemoryModel::SC every
// operation is seq_cst and, for the race checker, at least release/acquire: a store publishes,
// a load observes the store it reads, a read-modify-write does both.
#pragma once

#include <atomic>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <weft/detail/format.hpp>
#include <weft/detail/model.hpp>

namespace weft {

// A fence, as std::atomic_thread_fence. In the model under MemoryModel::C11 a release fence
// makes the relaxed stores after it publish what came before it, an acquire fence makes what the
// relaxed loads before it read synchronise, and seq_cst fences take part in the single total
// order of seq_cst operations; under MemoryModel::SC it orders nothing new and is only traced.
inline void atomic_thread_fence(std::memory_order mo, Location where = Location::current()) {
  if (detail::Execution* ex = detail::current(); ex != nullptr) {
    detail::atomic_fence(*ex, mo, where);
    return;
  }
  std::atomic_thread_fence(mo);
}

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

  // Production: the real operation, then the (cold) check that the object is not a model
  // object — after, so that it reads a cache line the operation already owns.
  T load(std::memory_order mo = std::memory_order_seq_cst,
         Location where = Location::current()) const {
    if (detail::current() == nullptr) [[likely]] {
      const T v = a_.load(mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return v;
    }
    return const_cast<Atomic*>(this)
        ->model_op(Op::Load, T(), T(), mo, where.file, where.line, where.function)
        .first;
  }
  void store(T value, std::memory_order mo = std::memory_order_seq_cst,
             Location where = Location::current()) {
    if (detail::current() == nullptr) [[likely]] {
      a_.store(value, mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return;
    }
    model_op(Op::Store, value, T(), mo, where.file, where.line, where.function);
  }
  T exchange(T value, std::memory_order mo = std::memory_order_seq_cst,
             Location where = Location::current()) {
    if (detail::current() == nullptr) [[likely]] {
      const T old = a_.exchange(value, mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return old;
    }
    return model_op(Op::Exchange, value, T(), mo, where.file, where.line, where.function).first;
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order mo = std::memory_order_seq_cst,
                               Location where = Location::current()) {
    if (detail::current() == nullptr) [[likely]] {
      const bool ok = a_.compare_exchange_strong(expected, desired, mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return ok;
    }
    const auto [seen, ok] =
        model_op(Op::Cas, desired, expected, mo, where.file, where.line, where.function);
    if (!ok) expected = seen;
    return ok;
  }
  // Never fails spuriously in the model (a strong CAS is one of the weak CAS's behaviours).
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order mo = std::memory_order_seq_cst,
                             Location where = Location::current()) {
    if (detail::current() == nullptr) [[likely]] {
      const bool ok = a_.compare_exchange_weak(expected, desired, mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return ok;
    }
    return compare_exchange_strong(expected, desired, mo, where);
  }
  T fetch_add(T delta, std::memory_order mo = std::memory_order_seq_cst,
              Location where = Location::current()) {
    if (detail::current() == nullptr) [[likely]] {
      const T old = a_.fetch_add(delta, mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return old;
    }
    return model_op(Op::Add, delta, T(), mo, where.file, where.line, where.function).first;
  }
  T fetch_sub(T delta, std::memory_order mo = std::memory_order_seq_cst,
              Location where = Location::current()) {
    if (detail::current() == nullptr) [[likely]] {
      const T old = a_.fetch_sub(delta, mo);
      detail::check_not_model(model_, "Atomic", where.file, where.line, where.function);
      return old;
    }
    return model_op(Op::Sub, delta, T(), mo, where.file, where.line, where.function).first;
  }

  void set_name(std::string_view name) { model_.rename(name); }

 private:
  static constexpr detail::ObjectKind kKind = detail::ObjectKind::Atomic;
  enum class Op { Load, Store, Exchange, Cas, Add, Sub };

  // The model path, out of line and taking the Location as scalars so that the production
  // path never builds one on the stack. Returns (value before, CAS success).
  [[gnu::noinline, gnu::cold]] std::pair<T, bool> model_op(Op op, T arg, T expected,
                                                           std::memory_order mo, const char* file,
                                                           unsigned line, const char* function) {
    const Location where{file, line, function};
    detail::Execution& ex = detail::model(model_.execution(), "Atomic", where);
    const detail::OpKind kind = op == Op::Load    ? detail::OpKind::Load
                                : op == Op::Store ? detail::OpKind::Store
                                                  : detail::OpKind::Rmw;
    detail::point(ex, kind, model_.id(), where);
    const bool weak = detail::weak_memory(ex);
    if (!weak) {
      detail::sync(ex, model_.id(),
                   kind == detail::OpKind::Load    ? detail::Sync::Acquire
                   : kind == detail::OpKind::Store ? detail::Sync::Overwrite
                                                   : detail::Sync::AcquireRelease);
    }
    // `a_` always holds the newest store; under C11 a load may read an older one.
    T before = a_.load(std::memory_order_relaxed);
    T after = before;
    bool ok = true;
    switch (op) {
      case Op::Load:
        if (weak) {
          const void* read = detail::atomic_load(ex, model_.id(), mo, &before, sizeof(T), where);
          if (read != &before) std::memcpy(static_cast<void*>(&before), read, sizeof(T));
          after = before;
        }
        break;
      case Op::Store:
      case Op::Exchange:
        after = arg;
        break;
      case Op::Cas:
        ok = before == expected;
        if (ok) after = arg;
        break;
      // Only for types with arithmetic (fetch_add is not called otherwise): Atomic<T*> and
      // Atomic of a struct compile without it.
      case Op::Add:
        if constexpr (requires(T a) { static_cast<T>(a + a); })
          after = static_cast<T>(before + arg);
        break;
      case Op::Sub:
        if constexpr (requires(T a) { static_cast<T>(a - a); })
          after = static_cast<T>(before - arg);
        break;
    }
    if (weak && op == Op::Store) {
      detail::atomic_store(ex, model_.id(), mo, &after, &before, sizeof(T), where);
    } else if (weak && op != Op::Load) {
      detail::atomic_rmw(ex, model_.id(), mo, ok, &after, &before, sizeof(T), where);
    }
    if (op != Op::Load) a_.store(after, std::memory_order_relaxed);
    if (detail::recording(ex)) {
      if (op == Op::Load || op == Op::Store) {
        detail::trace_value(ex, detail::format_value(op == Op::Load ? before : after));
      } else if constexpr (detail::is_printable_v<T>) {
        detail::trace_value(ex,
                            detail::format_value(before) + " -> " + detail::format_value(after));
      }
    }
    return {before, ok};
  }

  detail::ModelObject model_;
  std::atomic<T> a_;
};

}  // namespace weft
