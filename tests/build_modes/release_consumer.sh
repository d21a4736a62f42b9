#!/usr/bin/env bash
# Build mode: a project configured with CMAKE_BUILD_TYPE=Release (-O3) that adds weft's source
# tree with add_subdirectory. weft and the project's programs build and work at -O3, and weft's
# warning flags stay on weft's own files: none reaches the project's compile lines, and weft's
# own are not -Werror there (a new compiler's warning in weft must not break a consumer's build).
# Usage: release_consumer.sh SOURCE_DIR SCRATCH_DIR GENERATOR MAKE_PROGRAM CXX
source "$(dirname "$0")/lib.sh"
source_dir="$1"
scratch="$2"
consumer="$source_dir/tests/build_modes/consumer"

configure "$consumer" "$scratch" "$3" "$4" "$5" \
  -DCMAKE_BUILD_TYPE=Release -DWEFT_SOURCE_DIR="$source_dir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
step build cmake --build "$scratch"
step "compile lines" python3 "$source_dir/tests/build_modes/check_consumer_flags.py" \
  "$scratch/compile_commands.json" "$consumer"

cd "$scratch"
step "weft::weft program" expect_status 0 ./consumer_explore
# The CLI exits with 1 when a scenario has a bug; the lost update must be found.
step "weft::main program" expect_status 1 ./consumer_scenarios explore
expect_output "ok    release consumer: atomic counter"
expect_output "BUG   release consumer: lost update"
