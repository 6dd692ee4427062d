# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# The setup the benchmark scripts share; sourced by them, never run.
#
# Sets ROOT (the checkout), BUILD (a Release build: build-bench unless BUILD is set), SMSGWD,
# SIM (the simulator) and tmp (a directory removed at exit). Processes added to `pids` are
# stopped at exit, or earlier by stop_all.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
SMSGWD="$BUILD/daemon/smsgwd"
SIM="$BUILD/tools/smsc_sim/smsc-sim"

tmp=$(mktemp -d)
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do
    if kill -TERM "$p" 2>/dev/null; then wait "$p" 2>/dev/null || true; fi
  done
  pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT

# A new, empty database DB on the cluster of DSN.
fresh_database() {  # DSN DB
  psql -q "$1" -c "DROP DATABASE IF EXISTS $2" -c "CREATE DATABASE $2"
}

# The company "Bench" with the admin user bench / bench-password, in CONFIG's store.
bootstrap_bench_company() {  # CONFIG
  echo bench-password | "$SMSGWD" --config "$1" bootstrap --company Bench --admin bench >/dev/null
}

# smsgwd with CONFIG in the background, its output in $tmp/smsgwd.log; its pid in daemon_pid.
start_smsgwd() {  # CONFIG
  "$SMSGWD" --config "$1" > "$tmp/smsgwd.log" 2>&1 &
  daemon_pid=$!
  pids+=("$daemon_pid")
}

# Waits up to 20 s for URL to answer 2xx; on a timeout prints smsgwd's log and fails.
wait_http() {  # URL
  for _ in $(seq 200); do
    curl -fs "$1" >/dev/null && return 0
    sleep 0.1
  done
  cat "$tmp/smsgwd.log" >&2
  return 1
}
