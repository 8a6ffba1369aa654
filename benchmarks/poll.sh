#!/usr/bin/env bash
# Poll benchmark: a release-built afm on a free loopback port, loaded by wrk with agents polling an empty queue.
#   benchmarks/poll.sh [DATABASE_URI]      (default: the embedded store in a temporary directory)
# Needs wrk (apt-get install wrk). Prints wrk's figures: requests per second and latency percentiles.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "benchmarks/poll.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product afm >&2
work=$(mktemp -d /tmp/afm-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
uri="${1:-sqlite:///$work/afm.sqlite}"
(cd "$work" && LOG_LEVEL=WARNING AFM_DB_URI="$uri" exec "$OLDPWD/.build/release/afm" run 127.0.0.1 "$port") &
afm=$!
trap 'kill $afm 2>/dev/null; wait $afm 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
echo "afm $(git rev-parse --short HEAD) on ${uri%%:*}, $(nproc) cores" >&2
wrk -t2 -c64 -d10s --latency -s benchmarks/poll.lua "http://127.0.0.1:$port"
