// weft/scenario.hpp — named scenarios for the weft CLI (link weft::main).
//
//   WEFT_SCENARIO("bank transfer keeps the total") { ...body, as for explore()... }
//
// Each scenario is a body that can be explored (`prog explore`), replayed (`prog replay`) or
// run once for real in production mode (`prog run`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <weft/location.hpp>

namespace weft {

struct Scenario {
  std::string name;
  void (*body)();
  Location where;
  // Defined in code compiled with WEFT_PRODUCTION_ONLY: it can only be run, not explored.
  bool production_only = false;
};

// All scenarios linked into this binary, in name order.
const std::vector<Scenario>& scenarios();

namespace detail {
struct ScenarioRegistrar {
  // `function`: the generated name of the body's function, which reports show as the
  // scenario's name.
  ScenarioRegistrar(const char* name, void (*body)(), bool production_only, const char* function,
                    Location where = Location::current());
};
}  // namespace detail

}  // namespace weft

#ifdef WEFT_PRODUCTION_ONLY
#define WEFT_DETAIL_PRODUCTION_ONLY true
#else
#define WEFT_DETAIL_PRODUCTION_ONLY false
#endif
#define WEFT_DETAIL_CAT2(a, b) a##b
#define WEFT_DETAIL_CAT(a, b) WEFT_DETAIL_CAT2(a, b)
#define WEFT_DETAIL_STR(a) #a
#define WEFT_DETAIL_SCENARIO(name, fn)                                            \
  static void fn();                                                               \
  static const ::weft::detail::ScenarioRegistrar WEFT_DETAIL_CAT(fn, _registrar){ \
      name, &fn, WEFT_DETAIL_PRODUCTION_ONLY, WEFT_DETAIL_STR(fn)};               \
  static void fn()
#define WEFT_SCENARIO(name) WEFT_DETAIL_SCENARIO(name, WEFT_DETAIL_CAT(weft_scenario_, __COUNTER__))
