# Sourced by the build-mode scripts. Each configures and builds in a scratch folder of its own
# under the build tree; the folder is kept, so that running the test again rebuilds only what
# changed (CI starts from a fresh clone, so there it is always a full build).
set -euo pipefail

# Flags from the calling shell would land on every compile line of the scratch build, and the
# release consumer's check of those lines would blame weft for them.
unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS

# step NAME COMMAND...: runs a command, then says how long it took (a test's log shows where
# its minutes go).
step() {
  local name="$1" start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

# configure SOURCE SCRATCH GENERATOR MAKE_PROGRAM CXX [cmake arguments...]
configure() {
  local source="$1" scratch="$2" generator="$3" make_program="$4" cxx="$5"
  shift 5
  if [ -z "$cxx" ] || [[ "$cxx" == *-NOTFOUND ]]; then
    echo "no C++ compiler for this build mode was found; ./setup.sh installs it" >&2
    exit 1
  fi
  step configure cmake -S "$source" -B "$scratch" -G "$generator" \
    -DCMAKE_MAKE_PROGRAM="$make_program" -DCMAKE_CXX_COMPILER="$cxx" "$@"
}

# expect_status WANT COMMAND...: runs it with its output saved in $out; fails unless it exits
# with WANT.
expect_status() {
  local want="$1" status=0
  shift
  out="$("$@" 2>&1)" || status=$?
  printf '%s\n' "$out"
  if [ "$status" -ne "$want" ]; then
    echo "FAILED: '$*' exited with $status, expected $want" >&2
    exit 1
  fi
}

# expect_output TEXT: $out (from expect_status) holds TEXT.
expect_output() {
  if ! grep -qF -- "$1" <<<"$out"; then
    echo "FAILED: the output above lacks: $1" >&2
    exit 1
  fi
}
