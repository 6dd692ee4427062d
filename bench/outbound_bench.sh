#!/usr/bin/env bash
# Outbound end to end from the outbox, against the raw session ceiling, in one run: ROWS sends
# (one recipient each, as a group send writes them) queued into the outbox of a running smsgwd
# bound to smsc-sim with WINDOW, timed from the commit that queues them until every row is
# `submitted` (claim, submit_sm, submit_sm_resp, status written); then smpp_bench at the same
# window (the session alone, no store). Prints both rates and their ratio (target >= 0.8).
#
#   bench/outbound_bench.sh SOCKET_DIR [ROWS] [WINDOW]    (BUILD=build-bench: a Release build)
# SOCKET_DIR is a running PostgreSQL's socket directory; the database smsgw_outbound_bench is
# created afresh in it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
SOCK=${1:?usage: bench/outbound_bench.sh SOCKET_DIR [ROWS] [WINDOW]}
ROWS=${2:-100000}
WINDOW=${3:-10}
PORT=${SMSGW_BENCH_PORT:-18082}
SIM_PORT=${SMSGW_BENCH_SIM_PORT:-12775}
DB=smsgw_outbound_bench
DSN="host=$SOCK user=postgres"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

psql -q "$DSN" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
cat > "$tmp/smsgw.yaml" <<YAML
store:
  dsn: "$DSN dbname=$DB"
admin:
  listen: "127.0.0.1:$PORT"
smsc:
  - name: bench
    host: 127.0.0.1
    port: $SIM_PORT
    system_id: smsgw
    password: secret
    window: $WINDOW
log_level: warn
YAML
echo bench-password | "$BUILD/daemon/smsgwd" --config "$tmp/smsgw.yaml" bootstrap \
  --company Bench --admin bench >/dev/null
"$BUILD/tools/smsc_sim/smsc-sim" --port "$SIM_PORT" --system-id smsgw --password secret \
  --quiet > "$tmp/sim.log" 2>&1 &
pids+=($!)
"$BUILD/daemon/smsgwd" --config "$tmp/smsgw.yaml" > "$tmp/smsgwd.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$tmp/smsgwd.log"; exit 1; }

sql() { psql -qAt "$DSN dbname=$DB" -c "$1"; }
now() { date +%s.%N; }
start=$(now)
sql "BEGIN;
     INSERT INTO outbox (company_id, kind, source, destination, text)
     SELECT (SELECT id FROM companies LIMIT 1), 'send', '4040', '+614' || lpad(i::text, 8, '0'),
            'Outbound benchmark message'
     FROM generate_series(1, $ROWS) i;
     SELECT pg_notify('smsgw_outbox', '');
     COMMIT;" >/dev/null
queued=$(now)
until [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'submitted'")" -ge "$ROWS" ]; do
  sleep 0.2
done
done_at=$(now)
cpu=$(awk '{ print ($14 + $15) / 100 }' "/proc/${pids[1]}/stat")
outbox_rate=$(awk -v s="$queued" -v e="$done_at" -v n="$ROWS" 'BEGIN { printf "%.0f", n / (e - s) }')
echo "queued $ROWS rows in $(awk -v s="$start" -v e="$queued" 'BEGIN { printf "%.2f", e - s }') s"
echo "outbox → submitted: $outbox_rate msg/s at window $WINDOW (smsgwd CPU $cpu s in all)"

ceiling=$("$BUILD/bench/smpp_bench" "$ROWS" 2>/dev/null |
  awk -v w="$WINDOW" '$1 == w { gsub(",", "", $2); print $2 }')
echo "raw session ceiling (smpp_bench, window $WINDOW): $ceiling msg/s"
awk -v a="$outbox_rate" -v b="$ceiling" 'BEGIN { if (b > 0) printf "ratio: %.3f (target >= 0.8)\n", a / b }'
