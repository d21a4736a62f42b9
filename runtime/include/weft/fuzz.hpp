// weft/fuzz.hpp — libFuzzer targets whose inputs are schedules.
//
//   #include <weft/fuzz.hpp>
//   WEFT_FUZZ_SCENARIO {
//     weft::Shared<int> counter(0, "counter");
//     ...  // the body, as for weft::explore
//   }
//
// defines LLVMFuzzerTestOneInput: each input's bytes are the stream that every scheduling
// decision and choice of one run of the body is read from (a thread pick: the next byte modulo
// the number of runnable threads; bytes run out: the running thread goes on), so every input is
// a valid schedule. The run has weft's checkers on; a bug prints the report to stderr, writes
// its schedule to $WEFT_SCHEDULE_OUT (default weft-fuzz.schedule; weft::replay and the CLI's
// replay take it) and aborts, so that libFuzzer saves the input as crash-<hash>. Running the
// target on that file does the same again. Besides code coverage, libFuzzer is fed the run's
// interleaving coverage (reads-from pairs of sites, lock and event hand-offs, preemption sites)
// as extra counters. Build it with weft_add_fuzz_target (CMake, clang only). A binary's
// WEFT_SCENARIOs need no such macro: weft_add_fuzz_target(NAME SCENARIOS SOURCES...) links them
// with weft::fuzz_main instead, which fuzzes the one named by --scenario=NAME. See docs/GUIDE.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <weft/explore.hpp>

namespace weft::detail {

// One run of `body` with every decision read from `bytes`, checkers on; the report holds its
// bugs (each with its schedule and trace). `coverage`, when given, gets the run's interleaving
// coverage (sorted 64-bit hashes). Deterministic: the same bytes give the same run.
Report fuzz_one(const std::function<void()>& body, std::span<const std::uint8_t> bytes,
                std::vector<std::uint64_t>* coverage = nullptr);

// What LLVMFuzzerTestOneInput does: fuzz_one, each coverage hash bumps counters[hash % size]
// (saturating at 255), and a bug is printed, its schedule written and the process aborted.
// `scenario`: the WEFT_SCENARIO's name when the body is one (weft::fuzz_main), for the replay
// command printed with the schedule.
int fuzz_input(void (*body)(), const std::uint8_t* data, std::size_t size, std::uint8_t* counters,
               std::size_t counters_size, const char* scenario = nullptr);

}  // namespace weft::detail

// libFuzzer reads the extra counters of every object in this ELF section and resets them before
// each input; 4096 keeps hash collisions of a body's few hundred coverage hashes rare.
#define WEFT_FUZZ_SCENARIO                                                              \
  static void weft_fuzz_body_();                                                        \
  __attribute__((section("__libfuzzer_extra_counters"),                                 \
                 used)) static std::uint8_t weft_fuzz_counters_[4096];                  \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {   \
    return ::weft::detail::fuzz_input(weft_fuzz_body_, data, size, weft_fuzz_counters_, \
                                      sizeof weft_fuzz_counters_);                      \
  }                                                                                     \
  static void weft_fuzz_body_()
