// Reports from code compiled without debug information (this file is built with -g0): an
// operator of Shared<T> has no Location, and no line can be found for its return address.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("build/no_debug_info");

using namespace weft_test;
using weft::BugKind;

namespace {

// Two `+=` call sites in one function: without a line to tell them apart, the function and the
// offset of each call must.
[[gnu::noinline]] void add_twice(weft::Shared<int>& counter) {
  counter += 1;
  counter += 1;
}

void two_sites() {
  weft::Shared<int> counter(0, "counter");
  weft::Thread a([&] { add_twice(counter); });
  weft::Thread b([&] { add_twice(counter); });
  a.join();
  b.join();
}

std::vector<std::string> lines_with(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (contains(line, what)) out.push_back(line);
  }
  return out;
}

// A hexadecimal number of 9 digits or more: an absolute address (an offset in a function or a
// test binary is shorter), which would differ between runs.
bool has_address(const std::string& s) {
  for (std::size_t i = s.find("0x"); i != std::string::npos; i = s.find("0x", i + 2)) {
    std::size_t n = 0;
    while (i + 2 + n < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 2 + n]))) ++n;
    if (n >= 9) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("no_debug_info_names_the_function_and_offset_of_an_operator") {
  // Every bug, not just the first schedule's: the pairs of sites are what is checked below.
  weft::Options o;
  o.stop_on_first_bug = false;
  o.iterations = 50;
  const weft::Report r = weft::explore(two_sites, o);
  std::vector<weft::Bug> lost;
  for (const weft::Bug& b : r.bugs) {
    if (b.kind == BugKind::LostUpdate) lost.push_back(b);
  }
  REQUIRE_MESSAGE(!lost.empty(), r.summary());
  for (const weft::Bug& b : lost) {
    INFO(b.message);
    CHECK_FALSE(contains(b.message, "(("));  // no "((operator+=))"
    CHECK_FALSE(contains(b.message, "operator+="));
    CHECK(contains(b.message, "add_twice(weft::Shared<int>&)+0x"));
    CHECK(contains(b.message, " [no debug info]"));
    CHECK_FALSE(has_address(b.message));
    // The trace's location column names the same function for every access of counter.
    const std::vector<std::string> rows = lines_with(b.trace, " counter ");
    REQUIRE(!rows.empty());
    for (const std::string& row : rows) {
      INFO(row);
      if (contains(row, "main    load")) continue;
      CHECK(contains(row, "(no debug info: built without -g) in add_twice(weft::Shared<int>&)+0x"));
      CHECK_FALSE(has_address(row));
    }
  }
  // The two `+=` lines are different call sites, so pairs of them are different bugs (with one
  // site text for both, every pair collapsed into one bug).
  CHECK_MESSAGE(lost.size() >= 2, r.summary());
  for (std::size_t i = 1; i < lost.size(); ++i) CHECK(lost[i].message != lost[0].message);
}

TEST_CASE("no_debug_info_reports_are_the_same_in_every_run") {
  const weft::Report a = weft::explore(two_sites);
  const weft::Report b = weft::explore(two_sites);
  CHECK(a.summary() == b.summary());
  REQUIRE(!a.bugs.empty());
  REQUIRE(!b.bugs.empty());
  CHECK(a.bugs[0].trace == b.bugs[0].trace);
}

TEST_SUITE_END();
