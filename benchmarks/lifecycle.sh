#!/usr/bin/env bash
# Lifecycle benchmark: a release-built afm on a free loopback port, driven by afm-bench; with a PostgreSQL URI, the
# same server's ceiling measured right after by pgbench -N with 16 clients.
#   benchmarks/lifecycle.sh [DATABASE_URI] [afm-bench options…]
# Default store: the embedded SQLite store in a temporary directory. The PostgreSQL user must be allowed to create
# databases (pgbench gets its own, afm_pgbench).
set -euo pipefail
cd "$(dirname "$0")/.."

uri="sqlite:///"
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then uri="$1"; shift; fi
swift build -c release --product afm >&2
swift build -c release --product afm-bench >&2
work=$(mktemp -d /tmp/afm-lifecycle.XXXXXX)
[ "$uri" = "sqlite:///" ] && uri="sqlite:///$work/afm.sqlite"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && LOG_LEVEL=WARNING AFM_DB_URI="$uri" exec "$OLDPWD/.build/release/afm" run 127.0.0.1 "$port") &
afm=$!
trap 'kill $afm 2>/dev/null; wait $afm 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
echo "afm $(git rev-parse --short HEAD) on ${uri%%:*}, $(nproc) cores" >&2
.build/release/afm-bench --url "http://127.0.0.1:$port" "$@"

if [[ "$uri" == postgres* ]]; then
    pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1)
    admin="${uri%/*}/postgres"
    psql "$admin" -qc 'DROP DATABASE IF EXISTS afm_pgbench' -c 'CREATE DATABASE afm_pgbench' >/dev/null
    "$pgbench" -i -q "${uri%/*}/afm_pgbench" >/dev/null 2>&1
    echo "ceiling: pgbench -N -c 16 -j 2 -T 15 on the same server" >&2
    "$pgbench" -N -c 16 -j 2 -T 15 "${uri%/*}/afm_pgbench" 2>/dev/null | grep -E "^(tps|latency average|number of transactions actually)"
    psql "$admin" -qc 'DROP DATABASE afm_pgbench' >/dev/null
fi
