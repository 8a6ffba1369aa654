#!/usr/bin/env bash
# Runs schemathesis against a live afm with openapi.yaml: every operation with generated valid and invalid input;
# fails on any 5xx, any response that breaks the spec, and any wrong status class.
#   scripts/api-conformance.sh [AFM_BINARY]     (default: .build/debug/afm, built by scripts/test)
# Bounded: 25 examples per operation, a 10-minute limit. Installs schemathesis from PyPI into .build-tools/
# (exit status 3 when that is impossible).
set -euo pipefail
cd "$(dirname "$0")/.."

afm_binary="${1:-.build/debug/afm}"
venv=".build-tools/schemathesis"
if [ ! -x "$venv/bin/st" ]; then
    if ! { python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q 'schemathesis>=4,<5' >&2; }; then
        rm -rf "$venv"
        echo "scripts/api-conformance.sh: could not install schemathesis from PyPI" >&2
        exit 3
    fi
fi
work=$(mktemp -d /tmp/afm-conformance.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Tokens of every kind are configured, so that each operation's declared security is checked too (schemathesis
# sends the scheme's token, and no token or a wrong one to see it refused); they reach both sides through the
# environment only. Held polls (Prefer: wait) are kept short: the run is bounded in time.
export CONFORMANCE_BPMS_TOKEN="bpms-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export CONFORMANCE_AGENT_TOKEN="agent-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export CONFORMANCE_VIEWER_TOKEN="viewer-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
(cd "$work" && LOG_LEVEL=WARNING AGENT_MAX_WAIT=2 AFM_DB_URI="sqlite:///$work/afm.sqlite" \
    AFM_BPMS_TOKENS="$CONFORMANCE_BPMS_TOKEN" AFM_AGENT_TOKENS="$CONFORMANCE_AGENT_TOKEN" AFM_VIEWER_TOKENS="$CONFORMANCE_VIEWER_TOKEN" \
    exec "$OLDPWD/$afm_binary" run 127.0.0.1 "$port") &
afm=$!
trap 'kill $afm 2>/dev/null; wait $afm 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
timeout 600 "$venv/bin/st" --config-file schemathesis.toml run openapi.yaml --url "http://127.0.0.1:$port" \
    --max-examples 25 --seed 20261123 --workers 2
