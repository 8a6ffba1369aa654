#!/usr/bin/env bash
# http@1 check benchmark: how many checks a second one process of the agent's check code sustains against a local
# server, and the resident memory each concurrent check costs. check-bench serve answers every request with 200 on
# loopback (its own process); check-bench run keeps CONCURRENCY checks in flight (a list, default "1 10 50 200")
# for SECONDS each (default 10), every check on a new connection with a status and a body assertion, and prints
# checks/s, the check duration p50/p99/max and resident memory before and at the peak.
#   benchmarks/checks.sh
#   CONCURRENCY="50" SECONDS_EACH=30 benchmarks/checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product check-bench >&2
bench="$PWD/.build/release/check-bench"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bench" serve --port "$port" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
for concurrency in ${CONCURRENCY:-1 10 50 200}; do
    echo "== concurrency $concurrency"
    "$bench" run --url "http://127.0.0.1:$port/health" --concurrency "$concurrency" --seconds "${SECONDS_EACH:-10}"
done
