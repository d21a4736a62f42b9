// The JUnit XML report that explore --junit writes, for CI test dashboards.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace weft::cli {

struct JunitFailure {
  std::string type;     // the first bug's kind: "Deadlock"
  std::string message;  // its one-line message
  std::string text;     // the report's summary
};

struct JunitCase {
  std::string name;                     // the scenario
  std::optional<JunitFailure> failure;  // none: no bug
};

// One <testsuite name="weft"> with one <testcase> per scenario, in the order given.
std::string junit_xml(const std::vector<JunitCase>& cases);

}  // namespace weft::cli
