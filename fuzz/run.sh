#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and runs each one for SECONDS.
#   fuzz/run.sh [SECONDS]   default 20 per target; exits non-zero when a target crashes
# A target starts from its committed seeds (fuzz/corpus/<target>/) and keeps what it learns
# in build-fuzz/corpus/<target>/; a crashing input is saved as build-fuzz/artifacts/<target>-*.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-20}
BUILD=${SMSGW_FUZZ_BUILD:-$ROOT/build-fuzz}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
TARGETS=(fuzz_pdu fuzz_concat fuzz_receipt fuzz_config fuzz_keywords fuzz_fields fuzz_csv fuzz_request fuzz_multipart fuzz_log_fields)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

case $SECONDS_EACH in '' | *[!0-9]*) echo "usage: fuzz/run.sh [seconds]" >&2; exit 2 ;; esac
command -v clang++ >/dev/null || { echo "fuzz/run.sh: clang++ is needed" >&2; exit 2; }

say "building the fuzz targets in $BUILD (clang)"
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMSGW_FUZZ=ON -DSMSGW_TESTS=OFF -DSMSGW_BENCH=OFF >/dev/null
cmake --build "$BUILD" --target "${TARGETS[@]}" -j"$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# fuzz_one TARGET: runs it, then prints its line; the status says whether it crashed.
fuzz_one() {
  local t=$1 corpus=$BUILD/corpus/$1 log=$BUILD/logs/$1.log
  mkdir -p "$corpus" "$BUILD/artifacts" "$BUILD/logs"
  # New inputs go to the first directory only: the committed seeds stay as they are.
  if "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
    "$corpus" "$ROOT/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -1)
    printf '%-14s ok     %ss  %s runs  %s exec/s  coverage %s  corpus %s\n' "$t" \
      "$SECONDS_EACH" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$(find "$corpus" -type f | wc -l)"
  else
    printf '%-14s FAILED (log: %s)\n' "$t" "$log"
    grep -E '^(==[0-9]+== ?ERROR|SUMMARY|fuzz property failed|unexpected exception|.*runtime error)' \
      "$log" | head -5 || true
    grep -E '^artifact_prefix|Test unit written to' "$log" || true
    return 1
  fi
}

# Each target is one process on one core: JOBS of them at a time.
say "fuzzing ${#TARGETS[@]} targets for ${SECONDS_EACH}s each, $JOBS at a time"
results=$(mktemp -d)
for t in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  (fuzz_one "$t" >"$results/$t.out" 2>&1 || touch "$results/$t.failed") &
done
wait
failed=()
for t in "${TARGETS[@]}"; do
  cat "$results/$t.out"
  [ -e "$results/$t.failed" ] && failed+=("$t")
done
rm -rf "$results"

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: crashes in ${failed[*]}" >&2
  exit 1
fi
