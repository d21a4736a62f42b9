// weft/errors.hpp — every exception weft throws to the caller (bugs of the program under test are
// reported in the Report, never thrown). Each layer's headers include this one.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace weft {

// The API was used in a way that can never work, e.g. an object created inside explore() used
// outside it. Bugs of the program under test are reported in the Report, not thrown.
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// A schedule text or file could not be read. line/column are 1-based; 0 when not applicable.
class ScheduleError : public std::runtime_error {
 public:
  ScheduleError(const std::string& what, std::size_t line = 0, std::size_t column = 0)
      : std::runtime_error(what), line_(line), column_(column) {}
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }

 private:
  std::size_t line_;
  std::size_t column_;
};

// Thrown by Future::get() and Future::exception() of a cancelled future (Python's
// concurrent.futures.CancelledError).
class CancelledError : public std::runtime_error {
 public:
  CancelledError() : std::runtime_error("weft::Future was cancelled") {}
};

// Thrown by Queue put/get after shutdown() (Python 3.13's queue.ShutDown).
class QueueShutDown : public std::runtime_error {
 public:
  QueueShutDown() : std::runtime_error("weft::Queue is shut down") {}
};

// Input that cannot be decoded (truncated, inconsistent), or an fd that is missing.
class SerializationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A task failed in a worker process: what() is the original exception's what(), type_name()
// its demangled type (e.g. "std::out_of_range", "app::ConnectionError").
class RemoteError : public std::runtime_error {
 public:
  RemoteError(std::string type_name, const std::string& what)
      : std::runtime_error(what), type_name_(std::move(type_name)) {}
  const std::string& type_name() const noexcept { return type_name_; }

 private:
  std::string type_name_;
};

// A worker process of a ProcessPoolExecutor died (signal, abort, exit): its task, every pending
// task and every later submit fail with this (Python's BrokenProcessPool).
class BrokenProcessPool : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft
