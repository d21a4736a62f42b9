#!/usr/bin/env bash
# The libFuzzer targets of the examples (weft_add_fuzz_target, clang only), in a clang build
# that has them (clang_release.sh runs this on its build, so that they cost no build of weft of
# their own):
# * atomic_increment_fuzz (a WEFT_FUZZ_SCENARIO) is fuzzed until libFuzzer finds the lost
#   increment, then run on the crash file it saved: the bug is printed again and its schedule
#   written to WEFT_SCHEDULE_OUT. (That such a schedule replays with weft::replay is
#   unit.runtime.libfuzzer's; this checks what needs libFuzzer itself: the extra counters, the
#   abort that makes a crash file, the reproduction.)
# * rate_limiter_fuzz (the WEFT_SCENARIOs of weft-examples' rate_limiter.cpp, SCENARIOS) finds
#   the broken limit, and the schedule its crash file writes replays with the scenario CLI:
#   `weft-examples replay NAME FILE`.
# Usage: libfuzzer.sh BUILD_DIR
source "$(dirname "$0")/lib.sh"
build="$(cd "$1" && pwd)"

run="$build/fuzz-run"
rm -rf "$run"
mkdir -p "$run"
cd "$run"

# fuzz_until_crash TARGET ARGS...: a fixed seed, so that a failure here can be rerun as it was;
# 20000 runs is far more than the few hundred it takes (under a second).
fuzz_until_crash() {
  local status=0
  rm -f crash-*
  out="$("$@" -seed=1 -runs=20000 2>&1)" || status=$?
  printf '%s\n' "$out" | grep -v '^#[0-9]' | tail -40
  if [ "$status" -eq 0 ]; then
    echo "FAILED: libFuzzer ran 20000 inputs of $1 without finding its bug" >&2
    exit 1
  fi
  expect_output "Extra Counters"  # libFuzzer found the interleaving-coverage counters
  crash=(crash-*)
  if [ ! -f "${crash[0]}" ]; then
    echo "FAILED: libFuzzer wrote no crash file for $1" >&2
    exit 1
  fi
}

# reproduce TARGET ARGS...: the crash file alone gives the bug again and the schedule.
reproduce() {
  local status=0
  rm -f repro.schedule
  out="$(WEFT_SCHEDULE_OUT=repro.schedule "$@" "${crash[0]}" 2>&1)" || status=$?
  printf '%s\n' "$out"
  if [ "$status" -eq 0 ]; then
    echo "FAILED: running $1 on ${crash[0]} found no bug" >&2
    exit 1
  fi
  expect_output "schedule written to repro.schedule"
  if ! head -1 repro.schedule | grep -qx "weft-schedule 2"; then
    echo "FAILED: repro.schedule is not a weft schedule:" >&2
    cat repro.schedule >&2
    exit 1
  fi
  cat repro.schedule
}

fuzz_until_crash "$build/examples/atomic_increment_fuzz"
expect_output "assertion failed: counter.load() == 4"
reproduce "$build/examples/atomic_increment_fuzz"
expect_output "assertion failed: counter.load() == 4"

scenario="semaphore(4) breaks the limit of 3"
fuzz_until_crash "$build/examples/rate_limiter_fuzz" "--scenario=$scenario"
expect_output "4 requests at once"
reproduce "$build/examples/rate_limiter_fuzz" "--scenario=$scenario"
expect_output "replay '$scenario' repro.schedule"
if ! grep -qxF "scenario $scenario" repro.schedule; then
  echo "FAILED: repro.schedule does not name its scenario" >&2
  exit 1
fi
expect_status 1 "$build/examples/weft-examples" replay "$scenario" repro.schedule
expect_output "BUG   $scenario"
expect_output "4 requests at once"

# Several scenarios and no --scenario: a usage error naming them, not a crash file per input.
expect_status 2 "$build/examples/rate_limiter_fuzz" -runs=1
expect_output "say which with --scenario=NAME"
expect_output "seed: semaphore(3) rate limiter"
