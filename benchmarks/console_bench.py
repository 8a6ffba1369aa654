"""Console benchmark: seeds a fleet of TASKS tasks and AGENTS agents through a running afm's HTTP API, then times
the console's first load (the page, its style and script, and the first full panels answer) and measures what an
update moves (the panels answer after one task is created and one completed), raw and gzip-compressed.

  python3 benchmarks/console_bench.py http://127.0.0.1:8080 [TASKS] [AGENTS]
"""
import gzip
import json
import statistics
import sys
import time
import urllib.request
import uuid

BASE = sys.argv[1]
TASKS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
AGENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
TYPES = ["http", "tcp", "dns", "tls", "icmp"]


def call(method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as answer:
        return answer.read(), {k.lower(): v for k, v in answer.headers.items()}


def poll(agent, index, capabilities, max_tasks):
    body = {"protocol": 1, "agent_id": agent, "agent_name": "probe-%04d" % index, "agent_time": "2026-01-01T00:00:00Z",
            "agent_capabilities": {t: {"version": 1} for t in capabilities}, "max_tasks": max_tasks,
            "agent_location": {"country": ["FI", "SE", "DE", "NO", "EE"][index % 5], "region": "%02d" % (index % 20)}}
    raw, _ = call("POST", "/tasks", body)
    return [t["task_id"] for t in json.loads(raw)["tasks"]]


def seed():
    started = time.monotonic()
    for start in range(0, TASKS, 1000):
        batch = [{"task_type": TYPES[(start + i) % 5], "task_version": 1, "task_data": {"target": "host-%d" % (start + i)}}
                 for i in range(min(1000, TASKS - start))]
        call("POST", "/v2/tasks/batch", {"tasks": batch})
    agents = [str(uuid.uuid4()) for _ in range(AGENTS)]
    # Each agent claims some tasks and finishes most of them: a history of completed and failed tasks, some in hand.
    claimed_total = 0
    for index, agent in enumerate(agents):
        claimed = poll(agent, index, TYPES[: 1 + index % 5], 60 if index < 900 else 0)
        claimed_total += len(claimed)
        for number, task in enumerate(claimed[:-2]):
            outcome = {"task_data": {"status": 200}} if number % 10 else {"task_error": "timed out"}
            call("POST", "/tasks/response", dict({"protocol": 1, "task_id": task}, **outcome))
    print("seeded %d tasks and %d agents (%d claimed) in %.1f s" % (TASKS, AGENTS, claimed_total, time.monotonic() - started))
    return agents


def first_load():
    started = time.monotonic()
    call("GET", "/dashboard", headers={"Accept-Encoding": "gzip"})
    call("GET", "/dashboard/console.css", headers={"Accept-Encoding": "gzip"})
    call("GET", "/dashboard/console.js", headers={"Accept-Encoding": "gzip"})
    panels_started = time.monotonic()
    raw, headers = call("GET", "/dashboard/api/panels", headers={"Accept-Encoding": "gzip"})
    finished = time.monotonic()
    body = json.loads(gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw)
    return finished - started, finished - panels_started, len(raw), body


def main():
    agents = seed()
    loads = [first_load() for _ in range(7)]
    totals = sorted(load[0] * 1000 for load in loads)
    panels = sorted(load[1] * 1000 for load in loads)
    body = loads[-1][3]
    counts = body["panels"]["counts"]["states"]
    print("fleet as the console counts it: %s; %d agents known, %d active" % (
        counts, body["panels"]["agents"]["known"], body["panels"]["agents"]["active"]))
    print("first load (page, style, script, all panels): median %.0f ms, max %.0f ms over %d loads; panels alone median %.0f ms; "
          "panels answer %d bytes gzip" % (statistics.median(totals), totals[-1], len(totals), statistics.median(panels), loads[-1][2]))
    have = ",".join("%s:%s" % (name, panel["version"]) for name, panel in body["panels"].items())
    raw, _ = call("GET", "/dashboard/api/panels?have=" + have)
    print("update with nothing changed: %d bytes" % len(raw))
    # One task created and one completed: the counts, backlog and task list change (the agents' too, as the poll
    # records its agent).
    call("POST", "/v2/tasks", {"task_type": "http", "task_version": 1, "task_data": {"target": "new"}})
    for task in poll(agents[0], 0, ["http"], 1):
        call("POST", "/tasks/response", {"protocol": 1, "task_id": task, "task_data": {"status": 200}})
    raw, _ = call("GET", "/dashboard/api/panels?have=" + have)
    zipped, headers = call("GET", "/dashboard/api/panels?have=" + have, headers={"Accept-Encoding": "gzip"})
    changed = sorted(json.loads(raw)["panels"])
    print("update after a task created and one completed: %d bytes, %d bytes gzip (panels sent: %s)" % (
        len(raw), len(zipped), ", ".join(changed)))


if __name__ == "__main__":
    main()
