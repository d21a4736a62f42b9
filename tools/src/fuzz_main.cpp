// weft::fuzz_main — a binary of WEFT_SCENARIOs as a libFuzzer target: the same sources that
// weft::main turns into the scenario CLI, linked here instead (weft_add_fuzz_target(NAME
// SCENARIOS SOURCES...)), so that a project does not write its bodies twice. Each input is one
// run of one scenario, exactly as for WEFT_FUZZ_SCENARIO (<weft/fuzz.hpp>); a bug's schedule
// goes to $WEFT_SCHEDULE_OUT, which the scenario CLI's `replay NAME FILE` takes.
//
// Which scenario: --scenario=NAME among libFuzzer's own flags (libFuzzer ignores flags that
// start with "--"), else the binary's only scenario.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <weft/fuzz.hpp>
#include <weft/scenario.hpp>

namespace {

const weft::Scenario* chosen = nullptr;
// One counter per coverage hash modulo its size, as the WEFT_FUZZ_SCENARIO macro has.
__attribute__((section("__libfuzzer_extra_counters"), used)) std::uint8_t counters[4096];

[[noreturn]] void usage(const char* argv0, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", argv0, why.c_str());
  std::fprintf(stderr, "%s: the scenarios of this binary:\n", argv0);
  for (const weft::Scenario& s : weft::scenarios()) std::fprintf(stderr, "  %s\n", s.name.c_str());
  std::fprintf(stderr, "usage: %s --scenario=NAME [libFuzzer flags] [corpus or input files]\n",
               argv0);
  std::exit(2);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  const char* argv0 = *argc > 0 ? (*argv)[0] : "weft-fuzz";
  constexpr std::string_view flag = "--scenario=";
  std::string name;
  bool named = false;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = (*argv)[i];
    if (arg.substr(0, flag.size()) == flag) {
      name = std::string(arg.substr(flag.size()));
      named = true;
    }
  }
  const std::vector<weft::Scenario>& all = weft::scenarios();
  if (!named) {
    if (all.size() != 1) usage(argv0, "more than one scenario: say which with --scenario=NAME");
    chosen = &all.front();
  } else {
    for (const weft::Scenario& s : all) {
      if (s.name == name) chosen = &s;
    }
    if (chosen == nullptr) usage(argv0, "no scenario named '" + name + "'");
  }
  if (chosen->production_only) {
    usage(argv0, "scenario '" + chosen->name + "' is compiled with WEFT_PRODUCTION_ONLY");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return weft::detail::fuzz_input(chosen->body, data, size, counters, sizeof counters,
                                  chosen->name.c_str());
}
