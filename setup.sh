#!/usr/bin/env bash
# Sets up a Debian machine for weft and builds it: installs whatever Debian packages are
# missing (apt-get, as root or through sudo), configures with CMake + Ninja, builds.
# A no-op for packages that are already there.
# Usage: ./setup.sh [--target TARGET]... [extra cmake arguments]
#   --target builds only what TARGET needs (repeatable; default: everything), so the demo of the
#   README's first command does not wait for the tests and benchmarks to compile.
set -euo pipefail
cd "$(dirname "$0")"

# clang-14 with its sanitizer runtimes and libFuzzer (libclang-rt-14-dev: libclang_rt.fuzzer,
# not pulled in without recommends; for weft_add_fuzz_target, the examples' fuzz targets that
# build_release_clang runs and the parser harnesses that build_sanitize_clang fuzzes) and
# llvm-14 (llvm-symbolizer-14, for files and lines in sanitizer reports): the build-mode tests
# build weft with clang and under ASan + UBSan (tests/build_modes). libgtest-dev: the tests
# of <weft/gtest.hpp> (weft itself never links GoogleTest). chromium: the test that renders the
# --html report in a headless browser (e2e.html_in_browser).
packages=(cmake ninja-build g++ pkg-config libboost-context-dev libdw-dev doctest-dev
          libpugixml-dev nlohmann-json3-dev libgtest-dev valgrind relacy-dev libtbb-dev
          libconcurrentqueue-dev libthread-pool-dev python3 clang-14 libclang-rt-14-dev llvm-14
          chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

targets=()
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target)
      [ $# -ge 2 ] || { echo "setup: --target needs a value" >&2; exit 2; }
      targets+=(--target "$2")
      shift 2
      ;;
    *)
      cmake_args+=("$1")
      shift
      ;;
  esac
done

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null
cmake --build build "${targets[@]}"
