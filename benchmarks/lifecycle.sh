#!/usr/bin/env bash
# Lifecycle benchmark: release-built afm process(es) on free loopback ports, driven by afm-bench; each afm's CPU
# (share of one core over the run) and peak resident memory are printed after the run; with a PostgreSQL URI, the
# same server's ceiling is measured right after by pgbench -N with 16 clients, and by pgbench running afm's own
# lifecycle statements (benchmarks/lifecycle.sql) with 16 clients.
#   benchmarks/lifecycle.sh [DATABASE_URI] [afm-bench options…]
#   AFM_PROCESSES=2 benchmarks/lifecycle.sh postgresql://…   two afm processes on one database
#   AGENT_RETURN_TIME=60 … --tasks 0 --agents 10000 --idle-wait 60000 --duration-cap 180   an idle fleet
#   CPU_AFTER=90 …   also print each afm's CPU from 90 s after the start to the end (steady state, once an idle
#                    fleet's agents have all connected and polled once)
#   CPU_UNTIL=135 …  with CPU_AFTER: end that window at 135 s instead of at the end, which for an idle fleet
#                    also counts its connections closing when afm-bench stops
#   AFM_BINARY=/path/to/afm …  run that afm build instead of this tree's, to compare two builds on one machine
#   SKIP_CEILING=1 …  leave out the PostgreSQL ceilings (for runs compared with each other, not with the ceiling)
# Default store: the embedded SQLite store in a temporary directory. The PostgreSQL user must be allowed to create
# databases (pgbench gets its own, afm_pgbench).
set -euo pipefail
# A relative AFM_BINARY is the caller's, not the repository's: resolved before moving there.
afm_binary="${AFM_BINARY:+$(realpath "$AFM_BINARY")}"
cd "$(dirname "$0")/.."

uri="sqlite:///"
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then uri="$1"; shift; fi
processes="${AFM_PROCESSES:-1}"
if [ -z "$afm_binary" ]; then
    swift build -c release --product afm >&2
    afm_binary="$PWD/.build/release/afm"
fi
swift build -c release --product afm-bench >&2
work=$(mktemp -d /tmp/afm-lifecycle.XXXXXX)
[ "$uri" = "sqlite:///" ] && uri="sqlite:///$work/afm.sqlite"
# 10,000 simulated agents need as many connections on each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
pids=()
urls=()
sampler=""
trap 'kill "${pids[@]}" $sampler 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for n in $(seq 1 "$processes"); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (cd "$work" && LOG_LEVEL=WARNING AFM_DB_URI="$uri" AGENT_RETURN_TIME="${AGENT_RETURN_TIME:-60}" \
        exec "$afm_binary" run 127.0.0.1 "$port") &
    pids+=($!)
    urls+=(--url "http://127.0.0.1:$port")
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
done
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A before
for pid in "${pids[@]}"; do before[$pid]=$(cpu_ticks "$pid"); done
started=$(date +%s.%N)
if [ -n "${CPU_AFTER:-}" ]; then
    (
        sample() { for pid in "${pids[@]}"; do echo "$pid $(cpu_ticks "$pid") $(date +%s.%N)"; done; }
        sleep "$CPU_AFTER"; sample >"$work/cpu-after"
        if [ -n "${CPU_UNTIL:-}" ]; then sleep $((CPU_UNTIL - CPU_AFTER)); sample >"$work/cpu-until"; fi
    ) &
    sampler=$!
fi
echo "afm ${AFM_BINARY:-$(git rev-parse --short HEAD)} ×$processes on ${uri%%:*}, $(nproc) cores" >&2
.build/release/afm-bench "${urls[@]}" "$@"
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
ticks_per_second=$(getconf CLK_TCK)
for pid in "${pids[@]}"; do
    used=$(( $(cpu_ticks "$pid") - ${before[$pid]} ))
    printf 'afm pid %s: CPU %.1f%% of one core over %.1f s, peak RSS %s MB\n' "$pid" \
        "$(awk -v u="$used" -v t="$ticks_per_second" -v e="$elapsed" 'BEGIN {print 100 * u / t / e}')" "$elapsed" \
        "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")"
done
if [ -s "$work/cpu-after" ]; then
    # The window ends at CPU_UNTIL when it was sampled, otherwise now.
    declare -A end_ticks end_at
    while read -r pid ticks at; do end_ticks[$pid]=$ticks; end_at[$pid]=$at; done < <(cat "$work/cpu-until" 2>/dev/null)
    while read -r pid ticks at; do
        until_ticks=${end_ticks[$pid]:-$(cpu_ticks "$pid")}
        until_at=${end_at[$pid]:-$(date +%s.%N)}
        seconds=$(awk -v a="$at" -v b="$until_at" 'BEGIN {print b - a}')
        if [ -n "${end_ticks[$pid]:-}" ]; then until_label="$CPU_UNTIL s"; else until_label="the end"; fi
        printf 'afm pid %s: CPU %.1f%% of one core from %s s after the start to %s (%.1f s)\n' "$pid" \
            "$(awk -v u="$(( until_ticks - ticks ))" -v t="$ticks_per_second" -v e="$seconds" 'BEGIN {print 100 * u / t / e}')" \
            "$CPU_AFTER" "$until_label" "$seconds"
    done <"$work/cpu-after"
fi

if [[ "$uri" == postgres* ]] && [ -z "${SKIP_CEILING:-}" ]; then
    pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1)
    admin="${uri%/*}/postgres"
    psql "$admin" -qc 'DROP DATABASE IF EXISTS afm_pgbench' -c 'CREATE DATABASE afm_pgbench' >/dev/null
    "$pgbench" -i -q "${uri%/*}/afm_pgbench" >/dev/null 2>&1
    echo "ceiling: pgbench -N -c 16 -j 2 -T 15 on the same server" >&2
    "$pgbench" -N -c 16 -j 2 -T 15 "${uri%/*}/afm_pgbench" 2>/dev/null | grep -E "^(tps|latency average|number of transactions actually)"
    psql "$admin" -qc 'DROP DATABASE afm_pgbench' >/dev/null
    # The ceiling for afm's own statements: one lifecycle per pgbench transaction, PostgreSQL alone.
    psql "$admin" -qc 'DROP DATABASE IF EXISTS afm_ceiling' -c 'CREATE DATABASE afm_ceiling' >/dev/null
    LOG_LEVEL=WARNING AFM_DB_URI="${uri%/*}/afm_ceiling" "$afm_binary" create-tables
    echo "ceiling for afm's statements: pgbench -M prepared -f benchmarks/lifecycle.sql -c 16 -j 2 -T 15 (tps = lifecycles/s)" >&2
    PGOPTIONS='-c enable_bitmapscan=off -c enable_seqscan=off' "$pgbench" -n -M prepared -f benchmarks/lifecycle.sql -c 16 -j 2 -T 15 "${uri%/*}/afm_ceiling" 2>/dev/null | grep -E "^(tps|latency average|number of failed)"
    psql "$admin" -qc 'DROP DATABASE afm_ceiling' >/dev/null
fi
