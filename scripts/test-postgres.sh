#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the tests, prints the URI to use.
#   scripts/test-postgres.sh start DIR   → prints postgresql://… on stdout
#   scripts/test-postgres.sh stop DIR
#   scripts/test-postgres.sh resume DIR  → starts a stopped server again, on the same port
# Installs PostgreSQL from apt when it is missing (needs root). No systemd: pg_ctl runs the server directly.
# Room for 1,000 connections: the tests run many afm stores at once, and each keeps its whole pool open.
set -euo pipefail

# The server outlives this script: close every inherited descriptor above 2 first, so that it does not hold its
# caller's pipes open (a caller waiting for end-of-file, or for our exit, would wait forever).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
done

command="${1:?usage: test-postgres.sh start|stop|resume DIR}"
dir="${2:?usage: test-postgres.sh start|stop|resume DIR}"

find_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ] && [ "$(id -u)" = 0 ]; then
        echo "installing PostgreSQL from apt" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    [ -n "$found" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
    echo "$found"
}

# Runs a command as the postgres user when we are root (initdb refuses to run as root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$command" in
start)
    bin=$(find_bin)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U afm --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
    port=$(free_port)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=1000" start >&2
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U afm afm_test
    echo "$port" >"$dir/port"
    echo "postgresql://afm@127.0.0.1:$port/afm_test"
    ;;
resume)
    bin=$(find_bin)
    port=$(cat "$dir/port")
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=1000" start >&2
    ;;
stop)
    bin=$(find_bin)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
*)
    echo "usage: test-postgres.sh start|stop|resume DIR" >&2
    exit 2
    ;;
esac
