#!/usr/bin/env bash
# Schedule benchmark: SCHEDULES schedules (default 1,000), each every INTERVAL seconds (default 10), on
# AFM_PROCESSES release-built afm processes (default 2) sharing one new PostgreSQL database. After a warm-up of one
# interval, a window of DURATION seconds (default 60, a multiple of INTERVAL) is measured from the database: slot lag
# (slot time to task created) p50, p99 and max, slots made against those due, duplicates, slots recorded as missed,
# and each afm's CPU over the window.
#   benchmarks/schedules.sh postgresql://USER@HOST:PORT/DATABASE
#   KILL_AT=30 …   kill the last afm process with SIGKILL that many seconds into the window
#   AFM_BINARY=/path/to/afm …   run that afm build instead of this tree's
# The user must be allowed to create databases: the run gets its own, dropped afterwards.
set -euo pipefail
afm_binary="${AFM_BINARY:+$(realpath "$AFM_BINARY")}"
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [[ "$1" != postgres* ]]; then
    echo "usage: benchmarks/schedules.sh postgresql://USER@HOST:PORT/DATABASE" >&2
    exit 2
fi
server_uri="$1"
schedules="${SCHEDULES:-1000}"
interval="${INTERVAL:-10}"
duration="${DURATION:-60}"
processes="${AFM_PROCESSES:-2}"
if [ -z "$afm_binary" ]; then
    swift build -c release --product afm >&2
    afm_binary="$PWD/.build/release/afm"
fi
database="afm_schedules_$$"
uri="${server_uri%/*}/$database"
psql -q "$server_uri" -c "CREATE DATABASE $database" >/dev/null
work=$(mktemp -d /tmp/afm-schedules.XXXXXX)
pids=()
ports=()
killer=""
cleanup() {
    kill "${pids[@]}" $killer 2>/dev/null || true
    wait 2>/dev/null || true
    psql -q "$server_uri" -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
for n in $(seq 1 "$processes"); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (cd "$work" && LOG_LEVEL=WARNING AFM_DB_URI="$uri" exec "$afm_binary" run 127.0.0.1 "$port") 2>>"$work/afm-$n.log" &
    pids+=($!)
    ports+=("$port")
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
done
echo "afm ${AFM_BINARY:-$(git rev-parse --short HEAD)} ×$processes on PostgreSQL, $(nproc) cores: $schedules schedules every $interval s" >&2

# The schedules, put through the processes in turn.
python3 - "$schedules" "$interval" "${ports[@]}" <<'PY'
import http.client, json, sys
count, interval, ports = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
connections = [http.client.HTTPConnection("127.0.0.1", int(port)) for port in ports]
body = json.dumps({"task_type": "wait", "task_version": 1, "task_data": {"time": 0}, "every_seconds": interval})
for n in range(count):
    connection = connections[n % len(connections)]
    connection.request("PUT", f"/v2/schedules/bench-{n}", body, {"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    if answer.status != 201:
        sys.exit(f"PUT /v2/schedules/bench-{n} answered {answer.status}")
PY
sleep $((interval + 2))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A before
for pid in "${pids[@]}"; do before[$pid]=$(cpu_ticks "$pid"); done
window_start=$(date +%s)
if [ -n "${KILL_AT:-}" ]; then
    (sleep "$KILL_AT"; kill -9 "${pids[-1]}"; echo "killed afm pid ${pids[-1]} with SIGKILL at $KILL_AT s" >&2) &
    killer=$!
fi
sleep "$duration"
window_end=$((window_start + duration))
ticks_per_second=$(getconf CLK_TCK)
for pid in "${pids[@]}"; do
    if [ -d "/proc/$pid" ]; then
        printf 'afm pid %s: CPU %.1f%% of one core over the window\n' "$pid" \
            "$(awk -v u="$(( $(cpu_ticks "$pid") - ${before[$pid]} ))" -v t="$ticks_per_second" -v e="$duration" 'BEGIN {print 100 * u / t / e}')"
    fi
done
# The window's last slots are made within moments; then it is read from the database.
sleep 3
psql -q -A -F ' ' -t "$uri" <<SQL | awk -v due="$((schedules * duration / interval))" '{
    printf "slots due %d, made %d, duplicates %d, missing %d, recorded missed %d\n", due, $1, $1 - $2, due - $2, $6
    printf "slot lag p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", $3 * 1000, $4 * 1000, $5 * 1000
}'
SELECT count(*), count(DISTINCT (schedule, slot, route)),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created - slot)),
    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM created - slot)),
    max(extract(epoch FROM created - slot)),
    (SELECT coalesce(sum(slots), 0) FROM schedule_misses
     WHERE first_slot < to_timestamp($window_end) AND last_slot >= to_timestamp($window_start))
FROM tasks WHERE schedule IS NOT NULL AND slot >= to_timestamp($window_start) AND slot < to_timestamp($window_end)
SQL
