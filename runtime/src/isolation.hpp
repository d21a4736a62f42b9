// isolation.hpp — running the body in forked child processes, so that a body that crashes (a
// signal, abort, _exit) ends only its child: the exploring process carries on and reports the
// crash with the decisions that led to it. Only the process plumbing is here (fork, pipes, poll,
// the shared memory that outlives a crashed child); which schedules run where, and what their
// outcomes mean, is the explorer's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "execution.hpp"
#include "wire.hpp"

namespace weft::detail {

// What a child process wrote before it ended, and how it ended.
struct ChildOutput {
  std::string bytes;
  bool clean = false;      // exit status 0
  bool timed_out = false;  // killed after `timeout_s`
  int status = 0;          // its wait status
};

// Runs `fn` in a forked child, which writes to the descriptor it is given as it goes, so that a
// crash loses only what it had not written yet. An exception out of `fn` ends the child unclean.
// A child still running after `timeout_s` (> 0) is killed.
ChildOutput run_in_child(const std::function<void(int fd)>& fn, double timeout_s = 0);

// What a child process sent with run_in_child_values(), and whether it ended well.
struct ChildValues {
  std::vector<std::uint64_t> values;
  bool clean = false;
};

// run_in_child() for a child that passes numbers back through `send`.
ChildValues run_in_child_values(
    const std::function<void(const std::function<void(std::uint64_t)>& send)>& fn);

struct WorkerSlot;

// A worker process's end of its link to the exploring process.
class WorkerLink {
 public:
  unsigned index() const noexcept { return index_; }
  // Has `ex` copy every decision into memory the exploring process still reads after a crash.
  void mirror_decisions(Execution& ex) const;
  // Schedule i starts (0: none runs any more): if the worker dies now, it died running i.
  void running(std::uint64_t i) const;
  // The watchdog found the running schedule stuck: the worker ends, and its schedule is a Hang.
  void mark_hung() const noexcept;
  // Queues schedule i's outcome; it is written with the next batch, at once if `urgent` (a run
  // with bugs, or whose lock-order edges close a cycle: the exploring process may stop on it).
  // Any other run is sent as clean, its number only. A worker that dies loses only clean
  // outcomes, which the exploring process then knows without them.
  // `full`: the whole record even when not urgent (a run whose coverage the fuzzer needs).
  void send(std::uint64_t i, const RunResult& r, bool urgent, bool full = false);
  // The end marker: the strategy had no schedule left, the last schedule this worker ran (0:
  // none) and its decisions.
  void finish(bool exhausted, std::uint64_t ran, const std::vector<Schedule::Decision>& decisions);
  // Writes the queued outcomes now.
  void flush();
  // Waits for the exploring process's next message (Workers::tell), after writing the queued
  // outcomes, which it may be waiting for.
  std::string receive();

 private:
  friend class Workers;
  WorkerLink(unsigned index, int fd, WorkerSlot* slot, Schedule::Decision* decisions,
             std::size_t capacity)
      : index_(index), fd_(fd), slot_(slot), decisions_(decisions), capacity_(capacity) {}
  unsigned index_;
  int fd_;
  WorkerSlot* slot_;
  Schedule::Decision* decisions_;
  std::size_t capacity_;
  int control_ = -1;     // messages from the exploring process
  std::string pending_;  // outcomes not written yet
  std::size_t pending_count_ = 0;
  std::chrono::steady_clock::time_point pending_since_{};
};

// `jobs` worker processes forked from this one; worker w runs the numbered schedules w+1,
// w+1+jobs, w+1+2*jobs, ... and sends their outcomes in that order.
class Workers {
 public:
  // Forks the workers; each runs `work` with its link and then exits (status 3 if `work`
  // threw). `max_steps` sizes the memory that keeps each worker's decisions.
  // `hang_timeout_s`: the workers' watchdog limit, for the Hang bug's message.
  Workers(unsigned jobs, std::uint64_t max_steps, double hang_timeout_s,
          const std::function<void(WorkerLink&)>& work);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // Schedule i's outcome, waiting for it as long as its worker lives. A worker that died while
  // running it gives a Crash bug (a Hang if its watchdog ended it) whose `decisions` are those
  // it made up to then. nullopt:
  // its worker ended without running it (time budget, or the strategy had no schedule left).
  std::optional<RunResult> take(std::uint64_t i);
  // In place of take(i) for a schedule that no worker runs (another shard's).
  void skip(std::uint64_t i);
  // After take(i) gave nullopt: whether i's worker ended because its strategy ran out.
  bool exhausted(std::uint64_t i) const;
  // The decisions of schedule i if it was the last its worker ran, else null.
  const std::vector<Schedule::Decision>* last_decisions(std::uint64_t i) const;
  // Kills the workers still running and reaps them.
  void stop();
  // Sends `message` to every worker still running (WorkerLink::receive).
  void tell(const std::string& message);

 private:
  struct Worker;
  unsigned owner(std::uint64_t i) const { return static_cast<unsigned>((i - 1) % jobs_); }
  WorkerSlot* slot(unsigned w) const;
  Schedule::Decision* decisions(unsigned w) const;
  void wait_for_records();
  void ended(unsigned w);

  unsigned jobs_;
  double hang_timeout_s_;
  std::size_t capacity_;
  std::size_t slot_bytes_;
  SharedMapping shared_;
  std::vector<Worker> workers_;
  // Outcomes received and not taken yet: ready_[k] is schedule base_ + k. A queue, not a map:
  // the exploring process handles every schedule's record, and a node per record cost it a
  // fifth of its time.
  std::deque<std::optional<RunResult>> ready_;
  std::uint64_t base_ = 1;
  void put(std::uint64_t i, RunResult r);
  bool stopped_ = false;
};

}  // namespace weft::detail
