#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, coverage on every layer object) in build-fuzz
# and runs each for a bounded time, starting from the committed seed corpus in tests/fixtures/fuzz/.
# New corpus entries stay in a scratch copy (the committed corpus is not modified); crash
# reproducers are written to $FUZZ_ARTIFACTS (default build-fuzz/artifacts) and listed at the end.
#
# usage: scripts/fuzz.sh [TARGET...]   (default: all five)
# env:   FUZZ_SECONDS (per target, default 60), FUZZ_BUILD (default build-fuzz), JOBS (default 2),
#        CC/CXX (default clang-14/clang++-14), FUZZ_ARTIFACTS,
#        FUZZ_KEEP_GOING=1: fork mode that records a crash/timeout and keeps fuzzing (finds several)
# exit:  0 when no target crashed, 1 otherwise
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-$root/build-fuzz}
jobs=${JOBS:-2}
artifacts=${FUZZ_ARTIFACTS:-$build/artifacts}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(formula csv design_space ingest archive)
export CCACHE_DIR=${CCACHE_DIR:-$root/.ccache}

san="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMATOPT_WITH_TORCH=OFF -DMATOPT_BUILD_EXAMPLES=OFF -DMATOPT_BUILD_FUZZERS=ON \
  -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target $(printf 'fuzz_%s ' "${targets[@]}") -j"$jobs"

mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# HDF5 is not instrumented; its internal caches are freed at exit, so leak reports would be noise
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for t in "${targets[@]}"; do
  corpus=$work/$t
  mkdir -p "$corpus"
  cp "$root/tests/fixtures/fuzz/$t"/* "$corpus/"
  seeds=$(ls "$corpus" | wc -l)
  log=$build/fuzz_$t.log
  echo "== fuzz_$t: $seconds s from $seeds seeds (log $log)"
  keep_going=()
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  set +e
  (cd "$work" && "$build/bin/fuzz_$t" "$corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "${keep_going[@]}") > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ "$execs" = "?" ]; then execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#'); fi
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  crashes=$(ls "$artifacts" | grep -c "^$t-" || true)
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz_$t FAILED (exit $rc):"; grep -m1 -A12 -E "ERROR|invariant broken|runtime error|deadly signal" "$log" || tail -20 "$log"
  fi
  summary+=("$(printf '%-14s %6s s  %10s execs  %-10s  corpus %4d -> %4d  artifacts %d  exit %d' "$t" "$seconds" \
    "$execs" "$cov" "$seeds" "$(ls "$corpus" | wc -l)" "$crashes" "$rc")")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
[ "$(ls -A "$artifacts")" ] && { echo "reproducers in $artifacts:"; ls "$artifacts"; }
exit "$status"
