#!/usr/bin/env bash
# Console benchmark: a release afm on an empty database, seeded with 100,000 tasks and 1,000 agents through its API;
# prints the console's first-load time and the size of an update (benchmarks/console_bench.py).
#   benchmarks/console.sh                                                        # SQLite, in a temporary file
#   DATABASE=postgresql://afm@127.0.0.1:5432/afm_bench benchmarks/console.sh     # an empty PostgreSQL database
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product afm >&2
work=$(mktemp -d /tmp/afm-console.XXXXXX)
database="${DATABASE:-sqlite:///$work/console.sqlite}"
afm_pid=""
trap '[ -n "$afm_pid" ] && kill "$afm_pid" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AFM_DB_URI="$database" LOG_LEVEL=WARNING AGENT_ACTIVE_THRESHOLD=3600 .build/release/afm run 127.0.0.1 "$port" 2>"$work/afm.log" &
afm_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
python3 benchmarks/console_bench.py "http://127.0.0.1:$port" "${TASKS:-100000}" "${AGENTS:-1000}"
