#!/usr/bin/env bash
# Checks a running AgentFleet stack from outside, the way a user would meet it: `docker compose up` or the native
# twin `scripts/stack up`. It reads the same environment values as compose.yaml (with the same defaults):
#   1. tasks of three kinds go in through the BPMS API v2 and come back completed with the right results;
#   2. instance-status events reach Mosquitto: it asks the agents' cluster instance to clean up and watches
#      InstanceMaintenanceModeEvent and InstanceReadyToShutdownEvent arrive (run this last: the agents stay in
#      maintenance mode afterwards);
#   3. health statistics from the agents have reached cep-stub.
# Needs curl, python3, and mosquitto_pub/mosquitto_sub (Debian: mosquitto-clients). Prints what it saw.
set -euo pipefail

afm="http://127.0.0.1:${AFM_PORT:-8080}"
cep="http://127.0.0.1:${CEP_HTTP_PORT:-9763}"
mqtt_port="${MQTT_PORT:-1883}"
mqtt_user="${MQTT_USERNAME:-agent}"
mqtt_password="${MQTT_PASSWORD:-agent-local-only}"
cluster="${CLUSTER_ID:-monitoring.agentfleet}"
cluster_instance="${CLUSTER_INSTANCE_ID:-monitoring-1}"
timeout="${SMOKE_TIMEOUT:-120}"
# The URL the agents reach the AFM at (inside compose: the service name), probed by a url_http_status task.
agent_afm="${AGENT_AFM_URL:-http://afm:8080}"

say() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
for tool in curl python3 mosquitto_pub mosquitto_sub; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (mosquitto_pub/sub: apt-get install mosquitto-clients)"
done
json() { python3 -c "import json,sys; data=json.load(sys.stdin); print($1)"; }

deadline=$((SECONDS + timeout))
until curl -fsS "$afm/status" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "afm at $afm does not answer /status"
    sleep 1
done
say "afm answers at $afm: $(curl -fsS "$afm/status")"

# 1. Tasks through the BPMS API, run by the agents.
create() {
    curl -fsS -X POST "$afm/v2/tasks" -H 'Content-Type: application/json' -d "$1" | json 'data["task_id"]'
}
wait_id=$(create '{"task_type": "wait", "task_version": 1, "task_data": {"time": 1}}')
status_id=$(create "{\"task_type\": \"url_http_status\", \"task_version\": 1, \"task_data\": {\"url\": \"$agent_afm/status\"}}")
echo_id=$(create '{"task_type": "echo", "task_version": 1, "task_data": {"said": "hello fleet", "n": 3}}')
say "created tasks wait=$wait_id url_http_status=$status_id echo=$echo_id"
for id in "$wait_id" "$status_id" "$echo_id"; do
    while true; do
        task=$(curl -fsS "$afm/v2/tasks/$id")
        state=$(echo "$task" | json 'data["state"]')
        case "$state" in
            completed) break ;;
            failed | expired | cancelled) fail "task $id ended $state: $task" ;;
        esac
        [ $SECONDS -lt $deadline ] || fail "task $id is still $state after ${timeout}s"
        sleep 1
    done
    say "task $id completed by agent $(echo "$task" | json 'data["agent_id"]'): $(echo "$task" | json 'json.dumps(data["result"])')"
done
curl -fsS "$afm/v2/tasks/$wait_id" | json 'data["result"]["time"]' >/dev/null || fail "the wait task has no time in its result"
[ "$(curl -fsS "$afm/v2/tasks/$status_id" | json 'data["result"]["status"]')" = 200 ] || fail "url_http_status did not see 200"
[ "$(curl -fsS "$afm/v2/tasks/$echo_id" | json 'data["result"]["said"]')" = "hello fleet" ] || fail "the echo plug-in did not echo"
say "agents: $(curl -fsS "$afm/v2/agents" | json '", ".join(a["name"] + " (" + a["state"] + ")" for a in data["agents"])')"

# 3 before 2, because the cleanup leaves the agents in maintenance mode.
while true; do
    count=$(curl -fsS "$cep/events?stream=cartridge_agent_health_stats:1.0.0" | json 'data["count"]')
    [ "$count" -ge 2 ] && break
    [ $SECONDS -lt $deadline ] || fail "cep-stub at $cep has $count health events after ${timeout}s"
    sleep 2
done
say "cep-stub holds $count health events; the latest:"
curl -fsS "$cep/events?stream=cartridge_agent_health_stats:1.0.0&limit=2" \
    | json '"\n".join("  %s %s=%s via %s" % (e["payload_data"]["member_id"], e["payload_data"]["health_description"], e["payload_data"]["value"], e["transport"]) for e in data["events"])'

# 2. Instance-status events on the broker.
events=$(mktemp)
trap 'rm -f "$events"' EXIT
mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -u "$mqtt_user" -P "$mqtt_password" -t 'instance/status/#' -v -W 60 -C 2 > "$events" &
subscriber=$!
sleep 1
mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -u "$mqtt_user" -P "$mqtt_password" -q 1 \
    -t instance/notifier/InstanceCleanupClusterEvent \
    -m "{\"clusterId\": \"$cluster\", \"clusterInstanceId\": \"$cluster_instance\"}"
wait "$subscriber" || fail "no instance-status events arrived on the broker: $(cat "$events")"
grep -q '^instance/status/InstanceMaintenanceModeEvent ' "$events" || fail "no InstanceMaintenanceModeEvent: $(cat "$events")"
grep -Eq "\"clusterId\": ?\"$cluster\"" "$events" || fail "the events do not name cluster $cluster: $(cat "$events")"
say "broker events:"
sed 's/^/  /' "$events"
say "ok"
