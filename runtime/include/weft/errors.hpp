// weft/errors.hpp — exceptions thrown to the caller (never used to report bugs in the model).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

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

}  // namespace weft
