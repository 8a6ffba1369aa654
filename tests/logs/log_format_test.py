"""Every line of a real run's log is well formed: afm and afm-agent run a short workload (tasks created, claimed and
finished, a held poll, bad requests, the console, a stop by SIGTERM) once with LOG_FORMAT=logfmt, read back with the
logfmt parser from PyPI and checked against logfmt's grammar, and once with LOG_FORMAT=json, each line read with
Python's json.

Environment: AFM and AFM_AGENT (the executables).
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import logfmt

# key=value pairs separated by one space; a value bare (no space, quote or =) or quoted with \" \\ \n \r \t \uXXXX.
PAIR = r'[^\s="]+=(?:[^\s="\\]+|"(?:[^"\\\x00-\x1f]|\\["\\nrt]|\\u[0-9a-f]{4})*")'
LINE = re.compile(r'^%s(?: %s)*$' % (PAIR, PAIR))
LEVELS = {"trace", "debug", "info", "notice", "warning", "error", "critical"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, headers=None):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method, headers=dict({"Content-Type": "application/json"}, **(headers or {})))
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def run(work, log_format):
    port = free_port()
    afm_log = os.path.join(work, "afm-%s.log" % log_format)
    env = dict(os.environ, AFM_DB_URI="sqlite:///" + os.path.join(work, log_format + ".sqlite"), LOG_LEVEL="DEBUG",
               LOG_FORMAT=log_format, LOG_FILE=afm_log, AGENT_RETURN_TIME="1")
    afm = subprocess.Popen([os.environ["AFM"], "run", "127.0.0.1", str(port)], env=env)
    base = "http://127.0.0.1:%d" % port
    for _ in range(200):
        try:
            if call(base, "GET", "/status")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    agent_log = open(os.path.join(work, "agent-%s.log" % log_format), "w")
    agent = subprocess.Popen([os.environ["AFM_AGENT"], "-u", base, "-vv", "--name", 'probe "one" = a b',
                              "--state-dir", os.path.join(work, "state-" + log_format)],
                             env=dict(os.environ, LOG_FORMAT=log_format), stdout=agent_log, stderr=agent_log)
    ids = []
    for n in range(3):
        status, body = call(base, "POST", "/v2/tasks", {"task_type": "wait", "task_version": 1, "task_data": {"time": 0.1 * n}})
        assert status == 201, (status, body)
        ids.append(json.loads(body)["task_id"])
    # Bad input of several kinds: their messages carry quotes, spaces and newlines into the log.
    call(base, "POST", "/v2/tasks", b'{"task_type": "wait",\n "task_version": "one"}')
    call(base, "POST", "/task", b'not json "at all"')
    call(base, "GET", "/v2/tasks/not-a-uuid")
    call(base, "GET", "/dashboard")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = [json.loads(call(base, "GET", "/v2/tasks/" + i)[1])["state"] for i in ids]
        if all(state == "completed" for state in states):
            break
        time.sleep(0.2)
    assert all(state == "completed" for state in states), states
    agent.send_signal(signal.SIGTERM)
    agent.wait(timeout=30)
    afm.send_signal(signal.SIGTERM)
    afm.wait(timeout=30)
    agent_log.close()
    return [afm_log, agent_log.name]


def check_logfmt(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    assert lines, path + " is empty"
    for number, line in enumerate(lines, 1):
        assert LINE.match(line), "%s:%d is not logfmt: %r" % (path, number, line)
        values = logfmt.parse_line(line)
        for key in ("time", "level", "logger", "msg"):
            assert isinstance(values.get(key), str) and values[key], "%s:%d has no %s: %r" % (path, number, key, line)
        assert values["level"] in LEVELS, (path, number, line)
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$", values["time"]), (path, number, line)
    return len(lines)


def check_json(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    assert lines, path + " is empty"
    for number, line in enumerate(lines, 1):
        entry = json.loads(line)
        assert isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("time", "level", "logger", "msg")), (path, number, line)
        assert entry["level"] in LEVELS, (path, number, line)
    return len(lines)


def main():
    work = tempfile.mkdtemp(prefix="afm-logs-")
    counted = {}
    for path in run(work, "logfmt"):
        counted[path] = check_logfmt(path)
    for path in run(work, "json"):
        counted[path] = check_json(path)
    for path, count in counted.items():
        print("well formed: %d lines of %s" % (count, os.path.basename(path)))
    assert all(count >= 5 for count in counted.values()), counted


if __name__ == "__main__":
    main()
