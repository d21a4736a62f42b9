#include "bugsuite.hpp"

namespace bugsuite {

std::vector<BugProgram> bug_suite() {
  std::vector<BugProgram> all;
  for (auto family : {sctbench_programs, violation_programs, sync_programs}) {
    for (BugProgram& p : family()) all.push_back(std::move(p));
  }
  return all;
}

}  // namespace bugsuite
