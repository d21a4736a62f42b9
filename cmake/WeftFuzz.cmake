# weft_add_fuzz_target(NAME [SCENARIOS] SOURCES...): a libFuzzer executable linked against weft.
#   Without SCENARIOS the sources define one WEFT_FUZZ_SCENARIO (<weft/fuzz.hpp>).
#   With SCENARIOS they are sources of WEFT_SCENARIOs, the very ones a scenario CLI binary
#   (weft::main) is built from; the target links weft::fuzz_main and fuzzes the scenario named
#   by --scenario=NAME (or the only one).
# libFuzzer ships with clang (compiler-rt: Debian's libclang-rt-14-dev for clang-14), not with
# GCC, so with another compiler, or a clang without libFuzzer, the target is skipped with a
# message saying why, and the rest of the project still builds.
# Only the target's own sources get -fsanitize=fuzzer (code coverage of the body and libFuzzer's
# main); weft's library is not instrumented, its interleaving coverage is fed in as extra counters.
include(CheckCXXSourceCompiles)

# Whether this clang links -fsanitize=fuzzer programs; empty if it does, else why not.
function(_weft_libfuzzer_missing out)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(${out} "libFuzzer (-fsanitize=fuzzer) needs clang, and this build's C++ compiler is \
${CMAKE_CXX_COMPILER_ID}; configure a build with -DCMAKE_CXX_COMPILER=clang++-14 for it" PARENT_SCOPE)
    return()
  endif()
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles([[
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
]] WEFT_CLANG_HAS_LIBFUZZER)
  if(NOT WEFT_CLANG_HAS_LIBFUZZER)
    set(${out} "${CMAKE_CXX_COMPILER} cannot link -fsanitize=fuzzer programs: its libFuzzer \
(libclang_rt.fuzzer, in Debian's libclang-rt-14-dev, which setup.sh installs) is missing" PARENT_SCOPE)
    return()
  endif()
  set(${out} "" PARENT_SCOPE)
endfunction()

function(weft_add_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "SCENARIOS" "" "")
  _weft_libfuzzer_missing(why)
  if(why)
    message(STATUS "weft: fuzz target ${name} skipped: ${why}")
    return()
  endif()
  if(NOT TARGET weft::weft)
    message(FATAL_ERROR "weft_add_fuzz_target: no weft::weft target (find_package(weft) first)")
  endif()
  add_executable(${name} ${arg_UNPARSED_ARGUMENTS})
  if(arg_SCENARIOS)
    target_link_libraries(${name} PRIVATE weft::fuzz_main)
  else()
    target_link_libraries(${name} PRIVATE weft::weft)
  endif()
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
