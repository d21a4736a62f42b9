# weft_add_fuzz_target(NAME SOURCES...): a libFuzzer executable whose sources define a
# WEFT_FUZZ_SCENARIO (<weft/fuzz.hpp>), linked against weft. libFuzzer ships with clang
# (compiler-rt: Debian's libclang-rt-14-dev for clang-14), not with GCC, so with another compiler
# the target is skipped with a message saying so, and the rest of the project still builds.
# Only the target's own sources get -fsanitize=fuzzer (code coverage of the body and libFuzzer's
# main); weft's library is not instrumented, its interleaving coverage is fed in as extra counters.
function(weft_add_fuzz_target name)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(STATUS "weft: fuzz target ${name} skipped: libFuzzer (-fsanitize=fuzzer) needs clang, "
                   "and this build's C++ compiler is ${CMAKE_CXX_COMPILER_ID}; configure a build "
                   "with -DCMAKE_CXX_COMPILER=clang++ for it")
    return()
  endif()
  if(NOT TARGET weft::weft)
    message(FATAL_ERROR "weft_add_fuzz_target: no weft::weft target (find_package(weft) first)")
  endif()
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE weft::weft)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
