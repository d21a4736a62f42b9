// bugsuite.hpp — weft's public bug suite: classic concurrency bugs from the literature, written
// fresh in weft's idiom from their published descriptions (SCTBench's CS and CHESS programs,
// the atomicity and order violations of Lu et al. and the ConVul / PERIOD families, the classic
// condition-variable mistakes, and the seed tutorial's own broken programs).
//
// Every program is a body for weft::explore with one bug, of the kind `expected`; most also
// have `fixed`, the same program with the bug removed, which no schedule may flag.
// bench/bench_bugsuite.cpp measures how fast each strategy finds the bugs (docs/BENCHMARKS.md);
// tests/unit/bugsuite/ checks that every bug is found and every fixed version is clean.
//
// Modelling conventions (weft's memory model is sequentially consistent):
//  * A plain variable that the original program reads and writes without synchronisation, and
//    whose bug is the assertion it breaks, is a weft::Atomic<T> used through load()/store()
//    only: every access is a scheduling point, as in SCTBench's controlled schedulers, and the
//    race checker (for which atomics synchronise) stays quiet, so the bug weft reports is the
//    assertion. With weft::Shared<T> the happens-before checker would report a DataRace from
//    the first schedule in which both accesses happen; the programs that expect DataRace or
//    LostUpdate use Shared<T>, and state guarded by a lock is a Shared<T> or a plain variable.
//  * A weak-memory reordering (a missing fence, a publication the compiler may move up) is
//    written out in the order the hardware or compiler may perform it.
//  * "Freeing" an object marks it freed instead of releasing its memory, and a use checks the
//    mark: the use-after-free is an assertion, not undefined behaviour in the test itself.
#pragma once

#include <functional>
#include <vector>

#include <weft/explore.hpp>

namespace bugsuite {

struct BugProgram {
  const char* name;                  // e.g. "reorder_10"
  const char* family;                // e.g. "SCTBench/CS"
  std::function<void()> body;        // the buggy program, for weft::explore
  weft::BugKind expected;            // what weft should report for it
  std::function<void()> fixed = {};  // the program with the bug removed, or empty
};

// Every program of the suite, in a fixed order (families in the order below).
std::vector<BugProgram> bug_suite();

// The families, one file each.
std::vector<BugProgram> sctbench_programs();   // sctbench.cpp: SCTBench CS, CHESS
std::vector<BugProgram> violation_programs();  // violations.cpp: Lu et al., ConVul, PERIOD
std::vector<BugProgram> sync_programs();       // sync.cpp: condition variables, seed programs

}  // namespace bugsuite
