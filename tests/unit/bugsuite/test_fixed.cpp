// The public bug suite (bench/bugsuite): the fixed version of every program that has one (the
// same program with its bug removed) is not flagged — no bug of any kind in 200 schedules of
// each of PCT, Random and POS.
#include <doctest/doctest.h>

#include <string>

#include <weft/weft.hpp>

#include "bugsuite.hpp"

TEST_SUITE_BEGIN("bugsuite/fixed");

TEST_CASE("bugsuite_fixed_programs_are_not_flagged") {
  int fixed = 0;
  for (const bugsuite::BugProgram& p : bugsuite::bug_suite()) {
    if (!p.fixed) continue;
    ++fixed;
    for (const weft::Strategy s :
         {weft::Strategy::PCT, weft::Strategy::Random, weft::Strategy::POS}) {
      weft::Options o;
      o.strategy = s;
      o.iterations = 200;
      const weft::Report r = weft::explore(p.fixed, o);
      CHECK_MESSAGE(r.ok(), p.name << " (fixed), " << to_string(s) << ": " << r.summary());
      CHECK(r.iterations == 200);
    }
  }
  CHECK(fixed >= 25);
}

TEST_SUITE_END();
