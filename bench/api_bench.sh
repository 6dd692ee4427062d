#!/usr/bin/env bash
# The admin API over HTTP against the same store calls made directly, in one run, on the
# million-contact company of store_bench (load it first: store_bench --dsn ...):
#   GET /api/v1/contacts?q=PREFIX&limit=20       vs store::search_contacts
#   GET /api/v1/groups/{Everyone}/members        vs store::list_members (first page of 50)
# authenticated as store_bench's "reader" (HTTP Basic) on every request, at 1, 16 and 64
# connections (wrk from Debian). The daemon runs the API's store work on admin.pool_size = 4
# database connections, so the direct calls use as many threads, each with its connection, as
# the daemon can use at that concurrency: min(connections, 4).
# CPU per request is the caller's (smsgwd, or store_bench for the direct calls) plus the
# PostgreSQL cluster's, from /proc, so run it on a machine the benchmark has to itself.
#
#   bench/api_bench.sh SOCKET_DIR [SECONDS]     (BUILD=build-bench: a Release build)
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SOCK=${1:?usage: bench/api_bench.sh SOCKET_DIR [SECONDS]}
RUN_S=${2:-10}
PORT=${SMSGW_BENCH_PORT:-18080}
DSN="host=$SOCK user=postgres"
TICK_MS=$((1000 / $(getconf CLK_TCK)))
POOL=4

"$BUILD/bench/store_bench" --dsn "$DSN" --prepare-api bench-password "$tmp/prefixes"
everyone=$(psql -qtA "$DSN dbname=smsgw_bench" -c "SELECT id FROM groups WHERE alias = 'everyone'")
data_dir=$(psql -qtA "$DSN dbname=smsgw_bench" -c "SHOW data_directory")
postmaster=$(head -1 "$data_dir/postmaster.pid")

# CPU ticks of a process (with its reaped children: the postmaster's exited backends).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat"; }
cluster_ticks() {
  local sum; sum=$(ticks "$postmaster")
  for p in $(pgrep -P "$postmaster"); do sum=$((sum + $(ticks "$p" 2>/dev/null || echo 0))); done
  echo "$sum"
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

cat > "$tmp/smsgw.yaml" <<YAML
store:
  dsn: "$DSN dbname=smsgw_bench"
  pool_size: 1
admin:
  listen: "127.0.0.1:$PORT"
  pool_size: $POOL
smsc:
  - name: bench
    host: 127.0.0.1
    port: 9
    system_id: smsgw
    password: secret
default_country: AU
log_level: warn
YAML
start_smsgwd "$tmp/smsgw.yaml"
wait_http "http://127.0.0.1:$PORT/healthz"
auth="Authorization: Basic $(printf 'reader:bench-password' | base64)"

# direct WHAT CONNECTIONS SECONDS -> "per_s p50 p99 cpu_ms_per_call" (store_bench warms its
# connections, then measures its own CPU and the cluster's around its timed window)
direct() {
  local out
  out=$("$BUILD/bench/store_bench" --dsn "$DSN" --direct "$1" "$2" "$3" "$tmp/prefixes")
  awk -v own="$(field "$out" own_cpu_ms_per_call)" -v pg="$(field "$out" pg_cpu_ms_per_call)" \
    -v r="$(field "$out" per_s)" -v p50="$(field "$out" p50_ms)" -v p99="$(field "$out" p99_ms)" \
    'BEGIN { printf "%s %s %s %.3f\n", r, p50, p99, own + pg }'
}

# http WHAT CONNECTIONS SECONDS -> "per_s p50 p99 cpu_ms_per_request failed"
http() {
  local path prefixes="" threads=$(( $2 < 2 ? $2 : 2 ))
  if [ "$1" = search ]; then path=/api/v1/contacts; prefixes="$tmp/prefixes"
  else path="/api/v1/groups/$everyone/members?limit=50"; fi
  local pg0 d0 out pg1 d1
  pg0=$(cluster_ticks); d0=$(ticks "$daemon_pid")
  out=$(PREFIXES="$prefixes" wrk -t "$threads" -c "$2" -d "${3}s" -H "$auth" \
    -s "$ROOT/bench/api_bench.lua" "http://127.0.0.1:$PORT$path" | grep '^http ')
  pg1=$(cluster_ticks); d1=$(ticks "$daemon_pid")
  awk -v cpu=$(((pg1 - pg0 + d1 - d0) * TICK_MS)) -v n="$(field "$out" requests)" \
    -v r="$(field "$out" per_s)" -v p50="$(field "$out" p50_ms)" -v p99="$(field "$out" p99_ms)" \
    -v f="$(field "$out" failed)" 'BEGIN { printf "%s %s %s %.3f %s\n", r, p50, p99, cpu / n, f }'
  echo "$out" >> "$tmp/wrk.log"
}

echo "warming up (caches, the credential cache)"
direct search 2 3 >/dev/null; http search 2 3 >/dev/null
direct members 2 3 >/dev/null; http members 2 3 >/dev/null

printf '%-8s %5s | %8s %8s %8s %9s | %8s %8s %8s %9s %6s | %7s %6s\n' what conns \
  direct/s p50_ms p99_ms cpu_ms http/s p50_ms p99_ms cpu_ms failed +p50_ms +cpu
for what in search members; do
  for c in ${CONNECTIONS:-1 16 64}; do
    read -r dr dp50 dp99 dcpu < <(direct "$what" $(( c < POOL ? c : POOL )) "$RUN_S")
    read -r hr hp50 hp99 hcpu hf < <(http "$what" "$c" "$RUN_S")
    awk -v w="$what" -v c="$c" -v dr="$dr" -v dp50="$dp50" -v dp99="$dp99" -v dcpu="$dcpu" \
      -v hr="$hr" -v hp50="$hp50" -v hp99="$hp99" -v hcpu="$hcpu" -v hf="$hf" 'BEGIN {
        printf "%-8s %5d | %8.0f %8.2f %8.2f %9.3f | %8.0f %8.2f %8.2f %9.3f %6d | %7.2f %5.0f%%\n",
          w, c, dr, dp50, dp99, dcpu, hr, hp50, hp99, hcpu, hf, hp50 - dp50, (hcpu / dcpu - 1) * 100
      }'
  done
done
echo "wrk's own lines, in the order above (the answer size shows every request got a page):"
cat "$tmp/wrk.log"
