#include <iostream>

#include "commands.hpp"

namespace weft::cli {

int cmd_list(const Args& args) {
  if (!args.empty()) throw UsageFailure{"list takes no arguments"};
  for (const Scenario& s : scenarios()) std::cout << s.name << "\n";
  return 0;
}

}  // namespace weft::cli
