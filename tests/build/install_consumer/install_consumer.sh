#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then configures, builds and tests a project
# that finds it with find_package(weft CONFIG REQUIRED): the install rules and package config
# work from outside the source tree.
set -euo pipefail
build="$1"
source="$2"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source/tests/build/install_consumer/consumer" -B "$scratch/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$scratch/build" >/dev/null
ctest --test-dir "$scratch/build" --output-on-failure
