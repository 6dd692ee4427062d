#!/usr/bin/env bash
# Inbound, smsgwd against Kannel on the same simulator in the same run: every MO is MOVIE
# to 4040 from a new sender, answered by an opt-in reply.
#   1. sustained MO -> reply per second, unpaced, at simulator windows 10 and 100: from the
#      first deliver_sm until the last reply's submit_sm has reached the simulator;
#   2. deliver_sm -> deliver_sm_resp latency p50/p99 paced at 500, 1,000 and 5,000 MO/s;
#   3. smsgwd's CPU per MO and its RSS before and after.
# smsgwd commits each MO (contact, membership, consent, inbound log, reply) to PostgreSQL
# before it answers; Kannel (bearerbox + smsbox, an sms-service with a static reply, no
# store file) answers deliver_sm on receipt and writes nothing durable.
#
#   bench/inbound_bench.sh SOCKET_DIR [MOS] [PACED_MOS]   (BUILD=build-bench: a Release build)
# SOCKET_DIR is a running PostgreSQL's socket directory (make it durable: fsync and
# synchronous_commit on); the database smsgw_inbound_bench is created afresh for each run.
# Kannel comes from Debian (apt-get install kannel); its own service is not used.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SOCK=${1:?usage: bench/inbound_bench.sh SOCKET_DIR [MOS] [PACED_MOS]}
MOS=${2:-50000}
PACED=${3:-10000}
PORT=${SMSGW_BENCH_PORT:-18083}
SIM_PORT=${SMSGW_BENCH_SIM_PORT:-12776}
KANNEL_PORT=${SMSGW_BENCH_KANNEL_PORT:-23000}  # admin; smsbox +1, sendsms +13
DB=smsgw_inbound_bench
DSN="host=$SOCK user=postgres"
REPLY="Welcome to Movie News! Reply MOVIE STOP to leave."
command -v bearerbox >/dev/null || { echo "bearerbox missing: apt-get install kannel" >&2; exit 1; }

# The simulator generating COUNT MOs with extra options, recording each submit_sm.
start_sim() {
  local count=$1; shift
  : > "$tmp/submits"
  "$SIM" --port "$SIM_PORT" --system-id smsgw --password secret --mo-count "$count" \
    --mo-to 4040 --mo-text MOVIE --record "$tmp/submits" --quiet "$@" > "$tmp/sim.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
}

# Waits for the simulator's load summary and for COUNT replies; prints
# "mo_per_s reply_per_s p50_us p99_us": MO -> reply/s from the first reply to the last,
# polled every 100 ms (under 1 % of a 20 s run). A poll is one `wc`: polling every 20 ms
# with three commands cost smsgwd a fifth of its rate at window 10 (2 cores).
measure() {
  local count=$1 summary="" first="" last="" replies=0 seen=-1 still=0
  for _ in $(seq 6000); do
    replies=$(wc -l < "$tmp/submits")
    [ -z "$first" ] && [ "$replies" -gt 0 ] && first=$(date +%s.%N) && first_count=$replies
    if [ "$replies" -eq "$seen" ]; then still=$((still + 1)); else still=0; seen=$replies; fi
    # Done when every reply came, or when no reply came for 10 s after the last MO.
    if [ "$replies" -ge "$count" ] || [ "$still" -ge 100 ]; then
      summary=$(grep -m1 '^load ' "$tmp/sim.log" || true)
      [ -n "$summary" ] && break
    fi
    sleep 0.1
  done
  last=$(date +%s.%N)
  [ -n "$summary" ] || { echo "no load summary" >&2; cat "$tmp/sim.log" >&2; return 1; }
  [ "$replies" -ge "$count" ] || echo "only $replies replies of $count" >&2
  echo "$summary" | awk -v c="$replies" -v c0="${first_count:-0}" -v s="${first:-$last}" \
    -v n="$last" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    printf "%.0f %.0f %s %s\n", f["mo_per_s"], (n > s ? (c - c0) / (n - s) : 0), f["p50_us"],
      f["p99_us"] }'
}

fresh_smsgwd() {
  fresh_database "$DSN" "$DB"
  cat > "$tmp/smsgw.yaml" <<YAML
store:
  dsn: "$DSN dbname=$DB"
  pool_size: 4
admin:
  listen: "127.0.0.1:$PORT"
smsc:
  - name: bench
    host: 127.0.0.1
    port: $SIM_PORT
    system_id: smsgw
    password: secret
    window: 100
log_level: warn
YAML
  bootstrap_bench_company "$tmp/smsgw.yaml"
  "$SMSGWD" --config "$tmp/smsgw.yaml" demo --company Bench >/dev/null
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# One smsgwd run: COUNT MOs with simulator options; prints the measure line and smsgwd's
# CPU per MO in µs.
run_smsgwd() {
  local count=$1; shift
  fresh_smsgwd
  start_sim "$count" "$@"
  start_smsgwd "$tmp/smsgw.yaml"
  local ticks0; ticks0=$(cpu_ticks "$daemon_pid")
  local result; result=$(measure "$count")
  local ticks1; ticks1=$(cpu_ticks "$daemon_pid")
  local hz; hz=$(getconf CLK_TCK)
  stop_all
  echo "$result $(( (ticks1 - ticks0) * 1000000 / hz / count ))"
}

kannel_config() {
  local window=$1
  cat > "$tmp/kannel.conf" <<CONF
group = core
admin-port = $KANNEL_PORT
admin-password = bench
smsbox-port = $((KANNEL_PORT + 1))
box-allow-ip = 127.0.0.1
log-file = "$tmp/bearerbox.log"
log-level = 4

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = $SIM_PORT
transceiver-mode = true
smsc-username = smsgw
smsc-password = secret
system-type = "bench"
max-pending-submits = $window
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $((KANNEL_PORT + 1))
sendsms-port = $((KANNEL_PORT + 13))
log-file = "$tmp/smsbox.log"
log-level = 4

group = sms-service
keyword = movie
text = "$REPLY"
max-messages = 1

group = sms-service
keyword = default
text = "unmatched"
CONF
}

# One Kannel run: COUNT MOs at simulator WINDOW with extra options.
run_kannel() {
  local count=$1 window=$2; shift 2
  kannel_config "$window"
  start_sim "$count" --mo-window "$window" "$@"
  bearerbox "$tmp/kannel.conf" > /dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do  # smsbox gives up at once when bearerbox is not listening yet
    (exec 3<>"/dev/tcp/127.0.0.1/$((KANNEL_PORT + 1))") 2>/dev/null && break
    sleep 0.1
  done
  smsbox "$tmp/kannel.conf" > /dev/null 2>&1 &
  pids+=($!)
  measure "$count"
  stop_all
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "| test | smsgwd | Kannel | ratio |"
echo "|---|---|---|---|"
for window in 10 100; do
  read -r s_mo s_reply _ _ s_cpu < <(run_smsgwd "$MOS" --mo-window "$window")
  read -r k_mo k_reply _ _ < <(run_kannel "$MOS" "$window")
  echo "| $MOS MOs, window $window: MO/s | $s_mo | $k_mo | $(ratio "$s_mo" "$k_mo") |"
  echo "| $MOS MOs, window $window: MO -> reply/s | $s_reply | $k_reply | $(ratio "$s_reply" "$k_reply") |"
  echo "| smsgwd CPU per MO (window $window) | ${s_cpu} µs | | |"
done
for rate in 500 1000 5000; do
  read -r _ _ s_p50 s_p99 _ < <(run_smsgwd "$PACED" --mo-window 1000 --mo-rate "$rate")
  read -r _ _ k_p50 k_p99 < <(run_kannel "$PACED" 1000 --mo-rate "$rate")
  echo "| $rate MO/s paced: p50 / p99 (ms) | $(awk -v a="$s_p50" -v b="$s_p99" \
    'BEGIN{printf "%.1f / %.1f", a/1000, b/1000}') | $(awk -v a="$k_p50" -v b="$k_p99" \
    'BEGIN{printf "%.1f / %.1f", a/1000, b/1000}') | |"
done
if [ -n "${SOAK:-}" ]; then
  # RSS of smsgwd before and after SOAK MOs (e.g. SOAK=1000000).
  fresh_smsgwd
  start_sim "$SOAK" --mo-window 100
  start_smsgwd "$tmp/smsgw.yaml"
  sleep 2
  rss_before=$(rss_kb "$daemon_pid")
  measure "$SOAK" >/dev/null
  echo "| RSS before / after $SOAK MOs | ${rss_before} kB / $(rss_kb "$daemon_pid") kB | | |"
  stop_all
fi
