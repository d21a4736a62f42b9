// weft/process_pool.hpp — ProcessPoolExecutor (Python concurrent.futures.ProcessPoolExecutor).
//
// Same interface as ThreadPoolExecutor; tasks run in worker processes. A task is a plain
// function (or a lambda without captures): the worker runs the same code, found by its offset
// in the executable, on copies of the arguments decoded from weft::serialize bytes
// (<weft/serialize.hpp>). Arguments are first converted to the function's parameter types, so
// f(const std::string&) accepts "text". Parameter and result types must be Serializable and
// default-constructible.
//
// Errors, as in Python:
// * an exception escaping the task arrives as weft::RemoteError (type_name() is the demangled
//   type of the original, what() its what());
// * a worker process that dies (signal, abort, exit) fails its task and every pending one with
//   weft::BrokenProcessPool; later submits throw it; nothing hangs and every child is reaped.
//
// Workers start at the first submit and are re-executions of this program (see
// <weft/detail/subprocess.hpp>): safe from a process that already has threads. Tasks are
// handed to a worker ahead, about 250 µs of its work by its measured time per task (up to 64
// short ones, one long one at a time); from then on they are Running, no longer cancellable.
// The others stay pending and cancellable.
//
// Model mode (inside explore): the workers are model threads of an inner ThreadPoolExecutor;
// each task receives copies of its arguments (nothing is shared, as between processes) and its
// exceptions become RemoteError, so a pool program behaves the same in both modes and its
// interleavings are explored. BrokenProcessPool cannot happen there.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <weft/detail/model.hpp>
#include <weft/detail/subprocess.hpp>
#include <weft/executor.hpp>
#include <weft/future.hpp>
#include <weft/serialize.hpp>

namespace weft {

namespace detail::proc {

template <class F>
struct FnTraits {
  static constexpr bool valid = false;
};
template <class R, class... P>
struct FnTraits<R (*)(P...)> {
  static constexpr bool valid = true;
  using Result = R;
  using Plain = R (*)(P...);
  using Args = std::tuple<std::decay_t<P>...>;
  static constexpr Trampoline trampoline = &proc::trampoline<R, P...>;
  static R call(Plain fn, Args& args) {
    return std::apply([&](auto&... a) -> R { return fn(pass<P>(a)...); }, args);
  }
  static constexpr bool serializable =
      (std::is_void_v<R> || Serializable<std::decay_t<R>>)&&(Serializable<std::decay_t<P>> && ...);
};
template <class R, class... P>
struct FnTraits<R (*)(P...) noexcept> : FnTraits<R (*)(P...)> {};

// The function pointer a task is made of: a function, a function pointer, or a lambda without
// captures (converted with unary +).
template <class F>
auto function_pointer(F&& f) {
  using D = std::decay_t<F>;
  if constexpr (std::is_pointer_v<D> && std::is_function_v<std::remove_pointer_t<D>>) {
    return typename FnTraits<D>::Plain(f);
  } else {
    static_assert(
        requires { +f; },
        "weft: a process task must be a plain function or a lambda without captures "
        "(the worker process runs the same code; it cannot receive this object)");
    using P = decltype(+f);
    static_assert(FnTraits<P>::valid,
                  "weft: a process task must be a plain function or a lambda without captures");
    return typename FnTraits<P>::Plain(+f);
  }
}

template <class F>
using FnOf = FnTraits<decltype(function_pointer(std::declval<F>()))>;

// A call's wire form: a frame of `kind` (Task: with a u64 id slot first) holding the code
// references and the arguments converted to the parameter types.
template <class Fn, class... A>
void write_call(Writer& w, typename Fn::Plain fn, A&&... args) {
  write_code_ref(w, reinterpret_cast<const void*>(Fn::trampoline));
  write_code_ref(w, reinterpret_cast<const void*>(fn));
  const typename Fn::Args converted(std::forward<A>(args)...);
  std::apply([&](const auto&... a) { (weft::serialize(w, a), ...); }, converted);
}

// The model's stand-in for a worker: runs on its own copies, exceptions become RemoteError.
template <class Fn>
typename Fn::Result call_as_remote(typename Fn::Plain fn, typename Fn::Args& args) {
  std::optional<RemoteError> error;
  try {
    return Fn::call(fn, args);
  } catch (...) {
    rethrow_if_unwinding();
    error.emplace(current_exception_type(), current_exception_what());
  }
  // Thrown outside the handler: a model fiber must not switch inside a catch block.
  throw *error;
}

template <class R>
class PromiseJob final : public Job {
 public:
  explicit PromiseJob(Promise<R> p) : promise_(std::move(p)) {}
  bool start() override { return promise_.set_running(); }
  void cancel() override { promise_.get_future().cancel(); }
  void complete(Reader& answer) override {
    std::uint8_t status = 0;
    answer.read(&status, 1);
    if (status != 0) {
      std::string type;
      std::string what;
      weft::deserialize(answer, type);
      weft::deserialize(answer, what);
      promise_.set_exception(std::make_exception_ptr(RemoteError(std::move(type), what)));
    } else if constexpr (std::is_void_v<R>) {
      promise_.set_value();
    } else {
      R value{};
      weft::deserialize(answer, value);
      promise_.set_value(std::move(value));
    }
  }
  void fail(std::exception_ptr error) override { promise_.set_exception(std::move(error)); }

 private:
  Promise<R> promise_;
};

}  // namespace detail::proc

class ProcessPoolExecutor {
 public:
  // max_workers 0: std::thread::hardware_concurrency() (at least 1). In model mode pass an
  // explicit number, as for ThreadPoolExecutor.
  explicit ProcessPoolExecutor(std::size_t max_workers = 0, Location where = Location::current())
      : max_workers_(max_workers != 0 ? max_workers : default_workers()) {
#ifndef WEFT_PRODUCTION_ONLY
    if (detail::current() != nullptr) {
      model_ = std::make_unique<ThreadPoolExecutor>(detail::PoolKind{"ProcessPoolExecutor"},
                                                    max_workers_, "process", where);
      return;
    }
#endif
    (void)where;
    core_ = detail::proc::make_pool(max_workers_);
  }
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  // shutdown(true). noexcept(false) for the model's inner pool (see ThreadPoolExecutor).
  ~ProcessPoolExecutor() noexcept(false) {
    if (core_ != nullptr) detail::proc::pool_shutdown(*core_, true, false);
  }

  // Runs f(args...) in a worker process. Throws BrokenProcessPool once a worker died,
  // std::runtime_error after shutdown().
  template <class F, class... A>
  auto submit(F&& f, A&&... args) -> Future<typename detail::proc::FnOf<F>::Result> {
    using Fn = detail::proc::FnOf<F>;
    using R = typename Fn::Result;
    static_assert(Fn::serializable,
                  "weft::ProcessPoolExecutor::submit: the parameter and result types must be "
                  "weft::Serializable (see <weft/serialize.hpp>)");
    static_assert(std::is_constructible_v<typename Fn::Args, A&&...>,
                  "weft::ProcessPoolExecutor::submit: the arguments do not convert to the "
                  "function's parameter types");
    const typename Fn::Plain fn = detail::proc::function_pointer(std::forward<F>(f));
#ifndef WEFT_PRODUCTION_ONLY
    if (model_ != nullptr) {
      return model_->submit(
          [fn](typename Fn::Args copies) -> R {
            return detail::proc::call_as_remote<Fn>(fn, copies);
          },
          typename Fn::Args(std::forward<A>(args)...));
    }
#endif
    check_production();
    Writer frame;
    const std::size_t at = detail::proc::begin_frame(frame, detail::proc::FrameKind::Task);
    const std::uint64_t id_slot = 0;
    frame.write(&id_slot, sizeof id_slot);
    detail::proc::write_call<Fn>(frame, fn, std::forward<A>(args)...);
    detail::proc::finish_frame(frame, at, frame.fds().size());
    Promise<R> promise;
    Future<R> future = promise.get_future();
    const auto& state = detail::FutureAccess::state(future, Location{});
    state->helper = detail::proc::pool_helper(core_);
    auto job = std::make_unique<detail::proc::PromiseJob<R>>(std::move(promise));
    job->state = state.get();
    detail::proc::pool_submit(*core_, std::move(job), std::move(frame));
    return future;
  }

  // Python's map(fn, iterable): f(x) for every x of `range`, in worker processes; results in
  // input order. On the first failure (in input order) cancels the calls not started yet and
  // rethrows it.
  template <class F, std::ranges::input_range Range>
  auto map(F&& f, Range&& range) {
    using R = typename detail::proc::FnOf<F>::Result;
    const auto fn = detail::proc::function_pointer(std::forward<F>(f));
    std::vector<Future<R>> futures;
    for (auto&& x : range) futures.push_back(submit(fn, std::forward<decltype(x)>(x)));
    std::exception_ptr failure;
    std::conditional_t<std::is_void_v<R>, bool, std::vector<R>> results{};
    for (Future<R>& fu : futures) {
      try {
        if constexpr (std::is_void_v<R>) {
          fu.get();
        } else {
          results.push_back(fu.get());
        }
      } catch (...) {
        detail::rethrow_if_unwinding();
        failure = std::current_exception();
      }
      if (failure) break;
    }
    if (failure) {
      for (Future<R>& fu : futures) fu.cancel();
      std::rethrow_exception(failure);
    }
    if constexpr (!std::is_void_v<R>) return results;
  }

  // As ThreadPoolExecutor::shutdown. wait: returns once every task ran and every worker
  // process exited and was reaped.
  void shutdown(bool wait = true, bool cancel_futures = false,
                Location where = Location::current()) {
    if (model_ != nullptr) {
      model_->shutdown(wait, cancel_futures, where);
      return;
    }
    check_production();
    detail::proc::pool_shutdown(*core_, wait, cancel_futures);
  }

  std::size_t max_workers() const noexcept { return max_workers_; }

 private:
  static std::size_t default_workers() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }
  void check_production() const {
    if (detail::current() != nullptr) {
      detail::throw_mode_mismatch("ProcessPoolExecutor", Location::current());
    }
  }

  std::size_t max_workers_;
  std::shared_ptr<detail::proc::ProcessPoolCore> core_;  // production
  std::unique_ptr<ThreadPoolExecutor> model_;            // model mode
};

}  // namespace weft
