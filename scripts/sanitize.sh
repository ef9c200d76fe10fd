#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole project (without the torch plugin)
# and the whole test suite under it. Prints the build and test wall times (to judge whether CI can
# afford it) and exits non-zero on any sanitizer report or failing test.
#
# usage: scripts/sanitize.sh [CTEST_ARGS...]   e.g. scripts/sanitize.sh -L core
# env:   SAN_BUILD (default build-asan), JOBS (default 2), CC/CXX (default: the system compiler)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SAN_BUILD:-$root/build-asan}
jobs=${JOBS:-2}
export CCACHE_DIR=${CCACHE_DIR:-$root/.ccache}

t0=$(date +%s)
# No MPI here: OpenMPI keeps allocations to process exit that the leak checker would report; the
# single-process screen path is still tested. No Python module here: an ASan-instrumented extension needs the ASan runtime preloaded into an
# uninstrumented python3, whose own allocations then flood the leak checker; scripts/test.sh runs
# the Python tests against the normal build.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMATOPT_SANITIZE=ON \
  -DMATOPT_WITH_TORCH=OFF -DMATOPT_BUILD_EXAMPLES=OFF -DMATOPT_BUILD_PYTHON=OFF -DMATOPT_WITH_MPI=OFF > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j"$jobs"
t1=$(date +%s)

# halt on the first report so that a sanitizer finding fails the test that triggered it
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
(cd "$build" && ctest --output-on-failure -j"$jobs" "$@")
rc=$?
set -e
t2=$(date +%s)
echo "sanitize: build $((t1 - t0)) s, tests $((t2 - t1)) s, ctest exit $rc ($build)"
exit "$rc"
