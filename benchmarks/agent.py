#!/usr/bin/env python3
"""Agent benchmark: memory when idle and with 16 tasks running, and tasks per second through one agent.

    benchmarks/agent.py [--python-agent PATH] [--tasks N]

Builds afm and afm-agent in release mode, starts afm on a free loopback port (embedded store, AGENT_RETURN_TIME=1),
and measures afm-agent -x 16; with --python-agent, the original slamon-agent (-l slamon_agent.handlers -x 16) the
same way. Throughput uses `wait` tasks of 0 s, so it shows how fast the agent turns tasks around, not the task.
Prints a table and one JSON line.
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def create(afm, n, seconds):
    ids = []
    for _ in range(n):
        task_id = str(uuid.uuid4())
        http("POST", afm + "/task", {"task_id": task_id, "test_id": str(uuid.uuid4()), "task_type": "wait",
                                     "task_version": 1, "task_data": {"time": seconds}})
        ids.append(task_id)
    return ids


def wait_done(afm, ids, timeout=600):
    deadline = time.time() + timeout
    pending = set(ids)
    while pending and time.time() < deadline:
        for task_id in list(pending):
            task = http("GET", f"{afm}/task/{task_id}")
            if "task_completed" in task or "task_failed" in task:
                pending.discard(task_id)
        if pending:
            time.sleep(0.05)
    if pending:
        raise SystemExit(f"{len(pending)} tasks did not finish")


def memory_mb(pid):
    """(resident, private anonymous) in MB for the agent and its children (a Python agent may fork executors).

    Resident memory counts the shared libraries' pages too, which every process maps from the same files;
    the anonymous part is what the agent itself costs the machine."""
    resident = anonymous = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in pids:
        with open(f"/proc/{p}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    resident += int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anonymous += int(line.split()[1])
    return resident / 1024, anonymous / 1024


def measure(name, command, afm, tasks):
    state = tempfile.mkdtemp(prefix="agent-bench-")
    agent = subprocess.Popen(command, cwd=state, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)
        idle = memory_mb(agent.pid)
        running = create(afm, 16, 5)
        time.sleep(3)
        busy = memory_mb(agent.pid)
        wait_done(afm, running)
        ids = create(afm, tasks, 0)
        start = time.time()
        wait_done(afm, ids)
        rate = tasks / (time.time() - start)
        return {"agent": name, "rss_idle_mb": round(idle[0], 1), "anon_idle_mb": round(idle[1], 1),
                "rss_16_running_mb": round(busy[0], 1), "anon_16_running_mb": round(busy[1], 1),
                "tasks_per_second": round(rate, 1)}
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            agent.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python-agent", help="path of slamon-agent 1.1.0, to measure it too")
    parser.add_argument("--tasks", type=int, default=200, help="tasks for the throughput run (default 200)")
    options = parser.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "afm"], cwd=ROOT, check=True, stdout=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--product", "afm-agent"], cwd=ROOT, check=True, stdout=sys.stderr)
    work = tempfile.mkdtemp(prefix="afm-bench-")
    port = free_port()
    afm_url = f"http://127.0.0.1:{port}"
    environment = dict(os.environ, AFM_DB_URI=f"sqlite:///{work}/afm.sqlite", AGENT_RETURN_TIME="1", LOG_LEVEL="WARNING")
    afm = subprocess.Popen([f"{ROOT}/.build/release/afm", "run", "127.0.0.1", str(port)], cwd=work, env=environment)
    try:
        for _ in range(100):
            try:
                http("GET", afm_url + "/status")
                break
            except OSError:
                time.sleep(0.1)
        results = [measure("afm-agent", [f"{ROOT}/.build/release/afm-agent", "-u", afm_url, "-x", "16"], afm_url, options.tasks)]
        if options.python_agent:
            results.append(measure("slamon-agent 1.1.0", [os.path.abspath(options.python_agent), "-u", afm_url, "-l", "slamon_agent.handlers", "-x", "16"], afm_url, options.tasks))
    finally:
        afm.terminate()
        afm.wait()
    print(f"{'agent':<22}{'idle: RSS / anonymous':>24}{'16 running: RSS / anonymous':>30}{'tasks/s':>10}")
    for r in results:
        idle = f"{r['rss_idle_mb']:.1f} / {r['anon_idle_mb']:.1f} MB"
        busy = f"{r['rss_16_running_mb']:.1f} / {r['anon_16_running_mb']:.1f} MB"
        print(f"{r['agent']:<22}{idle:>24}{busy:>30}{r['tasks_per_second']:>10.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
