#!/usr/bin/env bash
# Outbound end to end from the outbox, against the raw session ceiling, in one run: ROWS sends
# (one recipient each, as a group send writes them) queued into the outbox of a running smsgwd
# bound to smsc-sim with WINDOW, timed from the commit that queues them until every row is
# `submitted` (claim, submit_sm, submit_sm_resp, status written); then smpp_bench at the same
# window (the session alone, no store). Prints both rates and their ratio (target >= 0.8).
#
#   bench/outbound_bench.sh SOCKET_DIR [ROWS] [WINDOW]    (BUILD=build-bench: a Release build)
#   THROUGHPUT=N bench/outbound_bench.sh ...  the bind limited to N submits/s: how close it holds
# SOCKET_DIR is a running PostgreSQL's socket directory; the database smsgw_outbound_bench is
# created afresh in it.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SOCK=${1:?usage: bench/outbound_bench.sh SOCKET_DIR [ROWS] [WINDOW]}
ROWS=${2:-100000}
WINDOW=${3:-10}
THROUGHPUT=${THROUGHPUT:-0}
PORT=${SMSGW_BENCH_PORT:-18082}
SIM_PORT=${SMSGW_BENCH_SIM_PORT:-12775}
DB=smsgw_outbound_bench
DSN="host=$SOCK user=postgres"

fresh_database "$DSN" "$DB"
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
    throughput: $THROUGHPUT
log_level: warn
YAML
bootstrap_bench_company "$tmp/smsgw.yaml"
"$SIM" --port "$SIM_PORT" --system-id smsgw --password secret --quiet > "$tmp/sim.log" 2>&1 &
pids+=($!)
start_smsgwd "$tmp/smsgw.yaml"
wait_http "http://127.0.0.1:$PORT/readyz"

sql() { psql -qAt "$DSN dbname=$DB" -c "$1"; }
# Timed by the database's clock, from the commit that queues the rows to the last row's
# `submitted`; the poll only asks whether rows remain (the pending index answers it), so it
# costs the run next to nothing.
start=$(date +%s.%N)
queued_at=$(sql "BEGIN;
     INSERT INTO outbox (company_id, kind, source, destination, text)
     SELECT (SELECT id FROM companies LIMIT 1), 'send', '4040', '+614' || lpad(i::text, 8, '0'),
            'Outbound benchmark message'
     FROM generate_series(1, $ROWS) i;
     SELECT pg_notify('smsgw_outbox', '');
     COMMIT;
     SELECT extract(epoch FROM clock_timestamp());" | tail -1)
until [ "$(sql "SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE status IN ('queued', 'submitting'))")" = t ]; do
  sleep 0.5
done
done_at=$(sql "SELECT extract(epoch FROM max(updated_at)) FROM outbox")
[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'submitted'")" -eq "$ROWS" ] ||
  { echo "not every row was submitted:"; sql "SELECT status, count(*) FROM outbox GROUP BY 1"; exit 1; }
cpu=$(awk '{ print ($14 + $15) / 100 }' "/proc/$daemon_pid/stat")
outbox_rate=$(awk -v s="$queued_at" -v e="$done_at" -v n="$ROWS" 'BEGIN { printf "%.0f", n / (e - s) }')
echo "queued $ROWS rows in $(awk -v s="$start" -v e="$queued_at" 'BEGIN { printf "%.2f", e - s }') s"
echo "outbox → submitted: $outbox_rate msg/s at window $WINDOW (smsgwd CPU $cpu s in all)"

if [ "$THROUGHPUT" -gt 0 ]; then
  awk -v a="$outbox_rate" -v t="$THROUGHPUT" \
    'BEGIN { printf "throughput set to %d/s: held at %.2f%% of it\n", t, 100 * a / t }'
  exit 0
fi
ceiling=$("$BUILD/bench/smpp_bench" "$ROWS" 2>/dev/null |
  awk -v w="$WINDOW" '$1 == w { gsub(",", "", $2); print $2 }')
echo "raw session ceiling (smpp_bench, window $WINDOW): $ceiling msg/s"
awk -v a="$outbox_rate" -v b="$ceiling" 'BEGIN { if (b > 0) printf "ratio: %.3f (target >= 0.8)\n", a / b }'
