#!/usr/bin/env bash
# Build mode: weft itself, library and examples, with clang++ in Release (-O3) and its warnings
# as errors (WEFT_WERROR), then the README's demo on that build, and the examples' libFuzzer
# targets (libfuzzer.sh), which only a clang build has.
# Usage: clang_release.sh SOURCE_DIR SCRATCH_DIR GENERATOR MAKE_PROGRAM CXX [CXX_FLAGS]
# (CXX_FLAGS, optional: to let one warning through while weft's code is being fixed)
source "$(dirname "$0")/lib.sh"
scratch="$2"

configure "$1" "$scratch" "$3" "$4" "$5" \
  -DCMAKE_BUILD_TYPE=Release -DWEFT_WERROR=ON -DCMAKE_CXX_FLAGS="${6:-}" \
  -DWEFT_BUILD_EXAMPLES=ON -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF
step build cmake --build "$scratch"

cd "$scratch"
# The bundled examples have bugs on purpose: the demo exits with 1 once it has found them.
step demo expect_status 1 ./examples/weft-examples explore
expect_output "BUG   seed: ABBA deadlock"
expect_output "ok    seed: locked counter"

step libfuzzer bash "$(dirname "$0")/libfuzzer.sh" "$scratch"
