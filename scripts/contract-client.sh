#!/usr/bin/env bash
# Builds the client that swift-openapi-generator makes from openapi.yaml (the package in clients/swift) and runs the
# README's walk-through with it against a live afm with BPMS and agent tokens: the contract proven usable by a
# generated client, not only valid.
#   scripts/contract-client.sh [AFM_BINARY]     (default: .build/debug/afm, built by scripts/test)
set -euo pipefail
cd "$(dirname "$0")/.."

afm_binary="${1:-.build/debug/afm}"
(cd clients/swift && swift build --scratch-path ../../.build-client) >&2
work=$(mktemp -d /tmp/afm-contract-client.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The tokens reach afm and the client through the environment only.
export AFM_BPMS_TOKEN="bpms-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export AFM_AGENT_TOKEN="agent-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
(cd "$work" && LOG_LEVEL=WARNING AFM_DB_URI="sqlite:///$work/afm.sqlite" AFM_BPMS_TOKENS="$AFM_BPMS_TOKEN" \
    AFM_AGENT_TOKENS="$AFM_AGENT_TOKEN" exec "$OLDPWD/$afm_binary" run 127.0.0.1 "$port") &
afm=$!
trap 'kill $afm 2>/dev/null; wait $afm 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
timeout 120 .build-client/debug/AFMWalkthrough "http://127.0.0.1:$port"
