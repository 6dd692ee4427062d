#!/usr/bin/env bash
# Contact import against PostgreSQL's own COPY, in one run: ROWS generated rows
# (number,name,email,city) imported over HTTP into an empty group in merge mode, then the same
# file again into the now full group (every row unchanged), against `psql \copy` of the same
# file into a bare table of four text columns; then the export of the full group. For each:
# seconds, rows per second, and smsgwd's peak RSS during it (VmHWM, reset before each step).
#
#   bench/import_bench.sh SOCKET_DIR [ROWS]    (BUILD=build-bench: a Release build)
# SOCKET_DIR is a running PostgreSQL's socket directory; the database smsgw_import_bench is
# created afresh in it.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SOCK=${1:?usage: bench/import_bench.sh SOCKET_DIR [ROWS]}
ROWS=${2:-1000000}
PORT=${SMSGW_BENCH_PORT:-18081}
DB=smsgw_import_bench
DSN="host=$SOCK user=postgres"

fresh_database "$DSN" "$DB"
cat > "$tmp/smsgw.yaml" <<YAML
store:
  dsn: "$DSN dbname=$DB"
  pool_size: 1
admin:
  listen: "127.0.0.1:$PORT"
  pool_size: 2
  read_timeout: 600
smsc:
  - name: bench
    host: 127.0.0.1
    port: 9
    system_id: smsgw
    password: secret
default_country: AU
log_level: info
YAML
bootstrap_bench_company "$tmp/smsgw.yaml"
start_smsgwd "$tmp/smsgw.yaml"
wait_http "http://127.0.0.1:$PORT/healthz"
api() { curl -fsS -u bench:bench-password "$@"; }
id() { sed 's/.*"id":\([0-9]*\).*/\1/'; }  # the "id" of a JSON answer
domain=$(api -X POST -H 'Content-Type: application/json' -d '{"name":"Members","properties":["city"]}' \
  "http://127.0.0.1:$PORT/api/v1/domains" | id)
group=$(api -X POST -H 'Content-Type: application/json' -d "{\"name\":\"Everyone\",\"domain_id\":$domain}" \
  "http://127.0.0.1:$PORT/api/v1/groups" | id)

echo "generating $ROWS rows"
awk -v n="$ROWS" 'BEGIN {
  print "number,name,email,city"
  split("Sydney Melbourne Brisbane Perth Adelaide Hobart Darwin Canberra", city, " ")
  for (i = 0; i < n; i++)
    printf "+614%08d,Person %d,person%d@example.com,%s\n", i, i, i, city[i % 8 + 1]
}' > "$tmp/contacts.csv"
size_mb=$(du -m "$tmp/contacts.csv" | cut -f1)

reset_peak() { echo 5 > "/proc/$daemon_pid/clear_refs"; }
peak_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$daemon_pid/status"; }
now() { date +%s.%N; }
report() {  # WHAT START END RSS
  awk -v w="$1" -v s="$2" -v e="$3" -v n="$ROWS" -v rss="$4" \
    'BEGIN { printf "%-28s %8.2f s %10.0f rows/s %6s MB\n", w, e - s, n / (e - s), rss }'
}

echo "file: $ROWS rows, $size_mb MB; smsgwd RSS at rest $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$daemon_pid/status") MB"
psql -q "$DSN dbname=$DB" -c "CREATE TABLE copy_bench (number text, name text, email text, city text)"
s=$(now)
psql -q "$DSN dbname=$DB" -c "\\copy copy_bench FROM '$tmp/contacts.csv' WITH (FORMAT csv, HEADER true)"
e=$(now); copy_s=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
report "psql \\copy (bare table)" "$s" "$e" "-"

for pass in "into the empty group" "again (all unchanged)"; do
  reset_peak; s=$(now)
  answer=$(api -F merge=true -F key=number -F "file=@$tmp/contacts.csv" \
    "http://127.0.0.1:$PORT/api/v1/groups/$group/import")
  e=$(now)
  report "import $pass" "$s" "$e" "$(peak_mb)"
  echo "    $answer"
  awk -v s="$s" -v e="$e" -v c="$copy_s" 'BEGIN { printf "    ratio to \\copy: %.2f\n", (e - s) / c }'
done

reset_peak; s=$(now)
api -o "$tmp/export.csv" "http://127.0.0.1:$PORT/api/v1/groups/$group/export"
e=$(now)
report "export of the group" "$s" "$e" "$(peak_mb)"
echo "    $(($(wc -l < "$tmp/export.csv") - 1)) rows, $(du -m "$tmp/export.csv" | cut -f1) MB"
grep -E "import (progress|done)" "$tmp/smsgwd.log" | tail -3 || true
