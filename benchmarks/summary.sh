#!/usr/bin/env bash
# Service-level summary benchmark: seeds a year of a 60-second schedule in five locations (2.6 million runs) as the
# counting pass and the pruner leave them (day and hour roll-ups for the year, minute roll-ups for the last 30 days),
# then times the summary of the whole year, first through the domain (summary-bench measure), then over HTTP
# through a release afm on the same database (curl, 20 calls after one to warm up; median and max).
#   benchmarks/summary.sh                                   # SQLite, in a temporary file
#   DATABASE=postgresql://afm@127.0.0.1:5432/afm_bench benchmarks/summary.sh   # an empty PostgreSQL database
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product summary-bench >&2
swift build -c release --product afm >&2
work=$(mktemp -d /tmp/afm-summary.XXXXXX)
database="${DATABASE:-sqlite:///$work/year.sqlite}"
afm_pid=""
trap '[ -n "$afm_pid" ] && kill "$afm_pid" 2>/dev/null; rm -rf "$work"' EXIT
.build/release/summary-bench seed --database "$database"
.build/release/summary-bench measure --database "$database" --step none
.build/release/summary-bench measure --database "$database" --step day --repeats 5
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AFM_DB_URI="$database" LOG_LEVEL=WARNING .build/release/afm run 127.0.0.1 "$port" 2>"$work/afm.log" &
afm_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
from=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
url="http://127.0.0.1:$port/v2/schedules/year/summary?by=location&from=$from"
curl -fs -o /dev/null "$url"
for _ in $(seq 20); do curl -fs -o /dev/null -w '%{time_total}\n' "$url"; done | sort -n | python3 -c '
import sys
times = [float(line) * 1000 for line in sys.stdin]
print("GET /v2/schedules/year/summary?by=location over 365 days: median %.1f ms, max %.1f ms over %d calls" % (times[len(times) // 2], times[-1], len(times)))'
