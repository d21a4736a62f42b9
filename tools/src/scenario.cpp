#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <weft/detail/model.hpp>
#include <weft/scenario.hpp>

namespace weft {
namespace {
std::vector<Scenario>& registry() {
  static std::vector<Scenario> all;
  return all;
}
}  // namespace

const std::vector<Scenario>& scenarios() {
  std::vector<Scenario>& all = registry();
  std::stable_sort(all.begin(), all.end(),
                   [](const Scenario& a, const Scenario& b) { return a.name < b.name; });
  return all;
}

detail::ScenarioRegistrar::ScenarioRegistrar(const char* name, void (*body)(), bool production_only,
                                             const char* function, Location where) {
  for (const Scenario& s : registry()) {
    if (s.name == name) {
      std::fprintf(stderr, "weft: scenario \"%s\" is defined twice (%s:%u and %s:%u)\n", name,
                   s.where.file, s.where.line, where.file, where.line);
      std::exit(2);
    }
  }
  registry().push_back(Scenario{name, body, where, production_only});
  show_function_as(where.file != nullptr ? where.file : "", function,
                   "scenario '" + std::string(name) + "'");
}

}  // namespace weft
