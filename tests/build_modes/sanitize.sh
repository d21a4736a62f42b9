#!/usr/bin/env bash
# Build mode: weft with clang++ in RelWithDebInfo under AddressSanitizer and UBSan
# (WEFT_SANITIZE=address,undefined), then the whole weft_tests suite on that build, a probe
# that ASan still reports a bad access on a fiber's stack, and libFuzzer on each of weft's
# parsers of outside input (WEFT_FUZZ_PARSERS: tests/fuzz, the CTest tests labelled fuzz).
# Usage: sanitize.sh SOURCE_DIR SCRATCH_DIR GENERATOR MAKE_PROGRAM CXX
source "$(dirname "$0")/lib.sh"
scratch="$2"

# WEFT_WERROR=OFF: the clang Release mode is the one that holds weft to clang's warnings; this
# one is about what the sanitizers see at run time, and a new warning should fail only one.
# WEFT_TEST_BUILD_MODES=OFF: the scratch build has no build-mode tests of its own.
configure "$1" "$scratch" "$3" "$4" "$5" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=address,undefined -DWEFT_WERROR=OFF \
  -DWEFT_BUILD_BENCH=OFF -DWEFT_TEST_BUILD_MODES=OFF -DWEFT_FUZZ_PARSERS=ON
harnesses=(fuzz_schedule_parse fuzz_cli_flags fuzz_process_frames fuzz_wire_records
           fuzz_deserialize)
step build cmake --build "$scratch" --target weft_tests weft_fiber_probe "${harnesses[@]}"

# detect_stack_use_after_return=1: frames that can escape go to a fake stack, one per fiber,
#   which fiber.cpp hands over at every switch; clang 15 and later turn it on by default, so it
#   is tested here. It found nothing in weft and costs about 10% of the suite's time.
# detect_leaks=1 (LeakSanitizer, the default, spelled out): at exit every fiber has been
#   unwound and every stack returned, so anything unreachable is a leak. It does not scan
#   suspended fibers' stacks, so a leak check while fibers are suspended (never done here)
#   would report what only they hold. Forked workers end with _exit, which skips the check.
# handle_segv=0: scenarios that crash on purpose (a null write) must die of SIGSEGV, whose name
#   the CLI's report carries; ASan's handler would exit with status 1 instead. Bad accesses
#   are still caught by the instrumentation, before any fault.
export ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=1:handle_segv=0
# UBSan's findings abort (-fno-sanitize-recover); the stack says where. (Files and lines in
# either's reports come from llvm-symbolizer-14, Debian's llvm-14, where its clang runtime
# looks for it.)
export UBSAN_OPTIONS=print_stacktrace=1

# Not run here: tests that fail in any clang build, sanitizers or not. They check that a
# trace names the user's line of an operator (counter += 1), found from return addresses
# through debug information (runtime/src/symbolize.cpp, elfutils' libdw). For clang 14's debug
# information of these inlined calls the look-up finds no line, so the reports name
# "std::__invoke_impl<...>+0x..." instead of the user's file and line: a known gap of the
# symbolizer with clang (GCC builds pass them). Remove them from here once it is closed.
clang_symbolizer_cases='the_site_of_a_tail_position_increment_is_its_source_line'
clang_symbolizer_cases+=',increments_in_a_loop_are_one_lost_update'
clang_symbolizer_cases+=',ipc_value_lost_update_is_found_in_the_model'
clang_symbolizer_cases+=',operator_lines_are_recovered_from_debug_information'
clang_symbolizer_cases+=',operator_lines_are_named_without_any_program_on_path'
clang_symbolizer_subcases='the same for a thread started with arguments*'

# Two halves at once (the e2e suites, and the rest): one sanitized run of the whole suite takes
# three minutes on one core while the other idles.
half() {
  ./weft_tests "$1" --test-case-exclude="$clang_symbolizer_cases" \
    --subcase-exclude="$clang_symbolizer_subcases" >"$2" 2>&1
}
both_halves() {
  local e2e=0 rest=0
  half -ts='e2e/*' e2e.log &
  local first=$!
  half -tse='e2e/*' rest.log || rest=$?
  wait "$first" || e2e=$?
  cat e2e.log rest.log
  if [ "$e2e" -ne 0 ] || [ "$rest" -ne 0 ]; then
    echo "FAILED: weft_tests exited with $e2e (e2e suites) and $rest (the rest)" >&2
    return 1
  fi
}
cd "$scratch/tests"
step weft_tests both_halves

step probe expect_status 1 ./build_modes/weft_fiber_probe
expect_output "AddressSanitizer: stack-use-after-return"
expect_output "fiber_probe.cpp"

# Each harness on its seeds and regression inputs, then fuzzing for WEFT_FUZZ_SECONDS (20) each,
# two at a time (about a minute in all).
step fuzz ctest --test-dir "$scratch/tests/fuzz" -L fuzz -j2 --output-on-failure
