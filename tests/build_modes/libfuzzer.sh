#!/usr/bin/env bash
# Build mode: a libFuzzer target (weft_add_fuzz_target, clang only) built with clang++, run on
# the example's atomicity violation until libFuzzer finds it, then run on the crash file it
# saved: the bug is printed again and its schedule written to WEFT_SCHEDULE_OUT. (That such a
# schedule replays to the same bug is unit.runtime.libfuzzer's; this checks the pieces that
# need libFuzzer itself: the extra counters, the abort that makes a crash file, the reproduction.)
# Usage: libfuzzer.sh SOURCE_DIR SCRATCH_DIR GENERATOR MAKE_PROGRAM CXX
source "$(dirname "$0")/lib.sh"
scratch="$2"

configure "$1" "$scratch" "$3" "$4" "$5" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_WERROR=ON \
  -DWEFT_BUILD_EXAMPLES=ON -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF
step build cmake --build "$scratch" --target atomic_increment_fuzz

run="$scratch/fuzz-run"
rm -rf "$run"
mkdir -p "$run"
cd "$run"
# A fixed seed, so that a failure here can be rerun as it was; 20000 runs is far more than the
# few hundred it takes (under a second).
status=0
out="$(../examples/atomic_increment_fuzz -seed=1 -runs=20000 2>&1)" || status=$?
printf '%s\n' "$out" | grep -v '^#[0-9]' | tail -60
if [ "$status" -eq 0 ]; then
  echo "FAILED: libFuzzer ran 20000 inputs without finding the lost increment" >&2
  exit 1
fi
expect_output "Extra Counters"  # libFuzzer found the interleaving-coverage counters
expect_output "AssertionFailure"
expect_output "assertion failed: counter.load() == 4"
crash=(crash-*)
if [ ! -f "${crash[0]}" ]; then
  echo "FAILED: libFuzzer wrote no crash file" >&2
  exit 1
fi

# Reproduce: the crash file alone gives the bug again and the schedule.
status=0
out="$(WEFT_SCHEDULE_OUT=repro.schedule ../examples/atomic_increment_fuzz "${crash[0]}" 2>&1)" ||
  status=$?
printf '%s\n' "$out"
if [ "$status" -eq 0 ]; then
  echo "FAILED: running the target on ${crash[0]} found no bug" >&2
  exit 1
fi
expect_output "assertion failed: counter.load() == 4"
expect_output "schedule written to repro.schedule"
if ! head -1 repro.schedule | grep -qx "weft-schedule 2"; then
  echo "FAILED: repro.schedule is not a weft schedule:" >&2
  cat repro.schedule >&2
  exit 1
fi
cat repro.schedule
