// Source lines of operators (counter += 1 has no Location) come from debug information read in
// process: no helper program has to be on PATH, and none is started per address.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/symbolize");

using namespace weft_test;

namespace {

// PATH emptied for the scope of one test: a program found through PATH (addr2line) is then
// not found, as on a machine without binutils.
class EmptyPath {
 public:
  EmptyPath() {
    if (const char* p = std::getenv("PATH")) saved_ = p;
    ::setenv("PATH", "", 1);
  }
  ~EmptyPath() {
    if (saved_) {
      ::setenv("PATH", saved_->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  EmptyPath(const EmptyPath&) = delete;
  EmptyPath& operator=(const EmptyPath&) = delete;

 private:
  std::optional<std::string> saved_;
};

constexpr int kIncrementLine = __LINE__ + 4;
void racy_counter() {
  weft::Shared<int> counter(0, "counter");
  auto increment = [&] {
    counter += 1;  // kIncrementLine
  };
  weft::Thread a(increment), b(increment);
  a.join();
  b.join();
}

}  // namespace

TEST_CASE("operator_lines_are_named_without_any_program_on_path") {
  EmptyPath no_path;
  weft::Options o;
  o.iterations = 20;
  o.isolate = false;
  const weft::Bug b = only_bug(weft::explore(racy_counter, o));
  const std::string site = "test_symbolize.cpp:" + std::to_string(kIncrementLine);
  CHECK_MESSAGE(contains(b.message, site), b.message);
  CHECK_MESSAGE(contains(b.trace, site), b.trace);
  CHECK_FALSE(contains(b.trace, "no debug info"));
}

TEST_SUITE_END();
