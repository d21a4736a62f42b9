// weft/process.hpp — Process (Python multiprocessing.Process).
//
//   weft::Process p(work, 42, std::string("x"));   // a plain function + its arguments
//   p.start();
//   p.join();
//   assert(p.exitcode() == 0);
//
// Arguments follow the ProcessPoolExecutor rules (<weft/process_pool.hpp>): converted to the
// parameter types and copied across as weft::serialize bytes when the Process is constructed,
// so later changes to the caller's objects are not seen (ipc handles are the way to share).
//
// exitcode(): nullopt until the process ended, then 0 if the function returned, 1 if an
// exception escaped it (the child prints "Process <name>: <type>: <what>" to stderr first, as
// Python prints the traceback), N if it called std::exit(N), -N if signal N killed it.
// Destroying a started Process that was not joined joins it: no zombie is ever left.
// Misuse (start twice, join before start, terminate before start) throws std::logic_error.
//
// Model mode (inside explore): the process is a model thread that runs on copies of the
// arguments; join / join_for / is_alive / exitcode behave as above (no stderr line), and misuse
// is a Misuse bug. A model thread cannot be stopped at an arbitrary point, so terminate() and
// kill() while it runs throw weft::UsageError; after it ended they do nothing, as in Python.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <weft/detail/model.hpp>
#include <weft/event.hpp>
#include <weft/process_pool.hpp>
#include <weft/thread.hpp>

namespace weft {

class Process {
 public:
  template <class F, class... A>
  requires(!std::is_same_v<std::remove_cvref_t<F>, Process>) explicit Process(F&& f, A&&... args)
      : name_(default_name()) {
    using Fn = detail::proc::FnOf<F>;
    static_assert(Fn::serializable,
                  "weft::Process: the parameter types must be weft::Serializable (see "
                  "<weft/serialize.hpp>)");
    static_assert(std::is_constructible_v<typename Fn::Args, A&&...>,
                  "weft::Process: the arguments do not convert to the function's parameter types");
    const typename Fn::Plain fn = detail::proc::function_pointer(std::forward<F>(f));
#ifndef WEFT_PRODUCTION_ONLY
    if (detail::Execution* ex = detail::current(); ex != nullptr) {
      ex_ = ex;
      model_ = std::make_shared<ModelState>();
      body_ = detail::Task(
          [fn, copies = typename Fn::Args(std::forward<A>(args)...), state = model_]() mutable {
            int code = 0;
            try {
              Fn::call(fn, copies);
            } catch (...) {
              detail::rethrow_if_unwinding();
              code = 1;
            }
            state->code = code;
            state->ended.set();
          });
      return;
    }
#endif
    detail::proc::write_call<Fn>(args_, fn, std::forward<A>(args)...);
  }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Movable (std::vector<Process> works); a moved-from Process is an empty shell that may only
  // be destroyed or assigned to. Assigning to a started, unjoined Process joins it first.
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept(false);
  // Joins a started process that was not joined yet.
  ~Process() noexcept(false);

  // Python's name: "Process-<n>" by default (n counts the Processes of this program from 1).
  const std::string& name() const noexcept { return name_; }
  // Also the model thread's name in traces (set it before start()).
  void set_name(std::string name) {
    name_ = std::move(name);
    named_ = true;
  }

  void start(Location where = Location::current());
  void join(Location where = Location::current());
  // False if the process is still running after `timeout`.
  template <class Rep, class Period>
  bool join_for(std::chrono::duration<Rep, Period> timeout, Location where = Location::current()) {
#ifndef WEFT_PRODUCTION_ONLY
    if (model_ != nullptr) {
      if (!check_model_started("join_for", where)) return false;
      if (!model_->ended.wait_for(timeout, where)) return false;
      join(where);
      return true;
    }
#endif
    return join_for_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count(),
                       where);
  }
  bool is_alive(Location where = Location::current());
  std::optional<int> exitcode(Location where = Location::current());
  // SIGTERM / SIGKILL (Python's terminate / kill). No effect once the process ended.
  void terminate(Location where = Location::current());
  void kill(Location where = Location::current());
  // The child's process id (production, after start); -1 otherwise.
  pid_t pid() const noexcept { return pid_; }

 private:
  struct ModelState {
    Event ended;
    int code = 0;
  };
  static std::string default_name();
  bool join_for_ns(std::int64_t ns, const Location& where);
  bool check_model_started(const char* op, const Location& where);
  // A Process made outside explore() used inside it: UsageError.
  void check_production(const Location& where) const;
  void signal(int sig, const char* op, const Location& where);
  bool reap(bool block);
  // What the destructor does: join if started and not joined, release the pidfd.
  void retire();

  std::string name_;
  // Production.
  Writer args_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> code_;
  // Model.
  detail::Execution* ex_ = nullptr;
  std::shared_ptr<ModelState> model_;
  detail::Task body_;
  Thread thread_;
  bool started_ = false;
  bool joined_ = false;
  bool named_ = false;  // set_name() was called
};

}  // namespace weft
