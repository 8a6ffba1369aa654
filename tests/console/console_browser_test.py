"""The operator console in a real browser: headless Chromium driven over WebDriver (Debian's chromium-driver).

Two afm processes share one PostgreSQL database (or, without one, a single afm on SQLite): the browser reads the
console of process A while tasks are created, claimed and completed through process B by this script, which acts as
the BPMS and as an agent over the HTTP API. Each step asserts what the page shows against what the API says.

Environment: AFM (the afm executable), AFM_TEST_POSTGRES_URI (optional), CHROMEDRIVER (default
/usr/bin/chromedriver), CONSOLE_ARTIFACTS (where screenshots go; their paths are printed).
"""
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BPMS = "console-bpms-token-1"
VIEWER = "console-viewer-token-1"
AGENT = "console-agent-token-1"
AGENT_ID = str(uuid.uuid4())
CHECKS = []


def check(condition, what):
    CHECKS.append(what)
    if not condition:
        raise AssertionError(what)
    print("ok -", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, method, path, body=None, token=BPMS, headers=None, opener=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with (opener.open if opener else urllib.request.urlopen)(req, timeout=20) as answer:
            raw = answer.read()
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, raw
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def api(base, method, path, body=None, token=BPMS):
    status, _, raw = request(base, method, path, body, token)
    return status, (json.loads(raw) if raw else None)


def start_afm(database, port, log):
    env = dict(os.environ, AFM_DB_URI=database, AFM_BPMS_TOKENS=BPMS, AFM_VIEWER_TOKENS=VIEWER, AFM_AGENT_TOKENS=AGENT,
               AGENT_RETURN_TIME="2", AGENT_ACTIVE_THRESHOLD="30")
    process = subprocess.Popen([os.environ["AFM"], "run", "127.0.0.1", str(port)], env=env, stdout=log, stderr=log)
    base = "http://127.0.0.1:%d" % port
    for _ in range(200):
        try:
            if request(base, "GET", "/status", token=None)[0] == 200:
                return process, base
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("afm on port %d did not start; see %s" % (port, log.name))


def database_uri(work):
    uri = os.environ.get("AFM_TEST_POSTGRES_URI")
    if not uri:
        return "sqlite:///" + os.path.join(work, "console.sqlite"), False
    # A database of its own, so that the counts are this test's alone.
    name = "console_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", "-q", "-d", uri, "-c", "CREATE DATABASE " + name], check=True)
    parsed = urllib.parse.urlsplit(uri)
    return urllib.parse.urlunsplit(parsed._replace(path="/" + name)), True


def new_task(base, task_type="probe", data=None, locations=None):
    body = {"task_type": task_type, "task_version": 1, "task_data": data if data is not None else {"n": 1}}
    if locations:
        body["locations"] = locations
    status, task = api(base, "POST", "/v2/tasks", body)
    assert status in (200, 201), (status, task)
    return task["task_id"]


def poll(base, types=("probe",), max_tasks=1):
    body = {"protocol": 1, "agent_id": AGENT_ID, "agent_name": "console-probe", "agent_time": "2026-01-01T00:00:00Z",
            "agent_capabilities": {t: {"version": 1} for t in types}, "max_tasks": max_tasks,
            "agent_location": {"country": "FI", "region": "18"}}
    status, answer = api(base, "POST", "/tasks", body, token=AGENT)
    assert status == 200, (status, answer)
    return [t["task_id"] for t in answer["tasks"]]


def respond(base, task_id, result=None, error=None):
    body = {"protocol": 1, "task_id": task_id}
    if error is None:
        body["task_data"] = result or {"ok": True}
    else:
        body["task_error"] = error
    status, _ = api(base, "POST", "/tasks/response", body, token=AGENT)
    assert status == 200, status


def api_counts(base):
    counts = {}
    for state in ["waiting", "claimed", "completed", "failed", "expired", "cancelled"]:
        total, cursor = 0, None
        while True:
            path = "/v2/tasks?limit=1000&state=" + state + ("&cursor=" + cursor if cursor else "")
            status, page = api(base, "GET", path)
            assert status == 200, (status, page)
            total += len(page["tasks"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        counts[state] = total
    return counts


def page_counts(driver):
    return driver.execute_script(
        'const c = {}; document.querySelectorAll("#counts li").forEach((li) => { c[li.dataset.state] = Number(li.querySelector("strong").textContent); }); return c;')


def wait(driver, condition, what, timeout=10):
    start = time.monotonic()
    WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: condition(d), message=what)
    return time.monotonic() - start


def task_row(driver, task_id):
    rows = driver.find_elements(By.CSS_SELECTOR, '#tasks tr[data-task="%s"]' % task_id)
    return rows[0] if rows else None


def row_state(driver, task_id):
    # Read in one script: the panel may be redrawn between two WebDriver calls.
    return driver.execute_script(
        'const r = document.querySelector(\'#tasks tr[data-task="\' + arguments[0] + \'"]\'); return r ? r.cells[2].textContent : null;', task_id)


def listed(driver):
    return driver.execute_script('return Array.from(document.querySelectorAll("#tasks tr[data-task]"), (r) => [r.dataset.task, r.cells[2].textContent]);')


def open_task(driver, task_id):
    # Found and clicked in one script, as the row may be redrawn in between.
    driver.execute_script('document.querySelector(\'#tasks tr[data-task="\' + arguments[0] + \'"] button\').click();', task_id)


def browser(artifacts):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"), log_output=os.path.join(artifacts, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


def log_in(driver, base, token):
    driver.get(base + "/dashboard")
    wait(driver, lambda d: d.current_url.endswith("/dashboard/login"), "the console sends a browser without a session to the login page")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "login").click()
    wait(driver, lambda d: d.current_url.endswith("/dashboard") and d.find_elements(By.ID, "count-waiting"), "logged in, the console shows its counts")


def session_cookie(driver):
    """The browser's cookies (its session) as a Cookie header, as a forged request would carry them."""
    return "; ".join("%s=%s" % (c["name"], c["value"]) for c in driver.get_cookies())


def main():
    work = tempfile.mkdtemp(prefix="afm-console-")
    artifacts = os.environ.get("CONSOLE_ARTIFACTS", work)
    os.makedirs(artifacts, exist_ok=True)
    database, shared = database_uri(work)
    log_a = open(os.path.join(work, "afm-a.log"), "w")
    log_b = open(os.path.join(work, "afm-b.log"), "w")
    process_a, console = start_afm(database, free_port(), log_a)
    processes = [process_a]
    if shared:
        process_b, api_base = start_afm(database, free_port(), log_b)
        processes.append(process_b)
    else:
        api_base = console
    driver = None
    try:
        # A history: waiting, completed, failed and cancelled tasks, made through B.
        waiting = [new_task(api_base, data={"n": i}) for i in range(4)]
        done = [new_task(api_base, task_type="done-probe", data={"n": 10 + i}) for i in range(3)]
        check(sorted(poll(api_base, types=("done-probe",), max_tasks=3)) == sorted(done), "the agent claims the tasks to complete")
        for task_id in done:
            respond(api_base, task_id)
        broken = new_task(api_base, task_type="broken-probe", data={"n": 20})
        check(poll(api_base, types=("broken-probe",)) == [broken], "the agent claims the task to fail")
        respond(api_base, broken, error="target unreachable")
        api(api_base, "DELETE", "/v2/tasks/" + waiting[-1])
        unrunnable = new_task(api_base, task_type="nobody-runs-this")

        driver = browser(artifacts)
        log_in(driver, console, BPMS)
        check(driver.get_cookie("afm_session")["httpOnly"] and driver.get_cookie("afm_session")["sameSite"] == "Strict",
              "the session cookie is HttpOnly and SameSite=Strict")
        check(BPMS not in driver.current_url, "the token is not in the URL")
        expected = api_counts(api_base)
        wait(driver, lambda d: page_counts(d) == expected, "the counts by state match the API: %s" % expected)
        check(page_counts(driver) == expected, "the page's counts by state are the API's: %s" % expected)
        backlog = driver.find_element(By.ID, "backlog").text
        check("nobody-runs-this v1" in backlog and "no active agent" in backlog,
              "a waiting type no active agent has is flagged in the backlog")
        agents = driver.find_element(By.ID, "agents").text
        check("console-probe" in agents and "FI/18" in agents and "active" in agents, "the agent is listed with its location, active")

        # A new task appears, then changes state, without a reload.
        driver.execute_script("window.__notReloaded = true;")
        created_at = time.monotonic()
        fresh = new_task(api_base, task_type="live-probe", data={"n": 30})
        wait(driver, lambda d: row_state(d, fresh) == "waiting", "a task created through the other process appears")
        print("new task shown %.2f s after its creation" % (time.monotonic() - created_at), flush=True)
        claimed = poll(api_base, types=("live-probe",))
        check(claimed == [fresh], "the agent claims the new task")
        wait(driver, lambda d: row_state(d, fresh) == "claimed", "the row turns claimed")
        respond(api_base, fresh, result={"status": 200})
        changed_at = time.monotonic()
        wait(driver, lambda d: row_state(d, fresh) == "completed", "the row turns completed")
        print("state change shown %.2f s after it happened" % (time.monotonic() - changed_at), flush=True)
        check(driver.execute_script("return window.__notReloaded === true;"), "the page updated in place, without a reload")

        # Pause: nothing moves while paused; resume catches up.
        driver.find_element(By.ID, "pause").click()
        during_pause = new_task(api_base, data={"n": 40})
        time.sleep(2.5)
        check(task_row(driver, during_pause) is None, "a paused page does not change")
        driver.find_element(By.ID, "pause").click()
        wait(driver, lambda d: task_row(d, during_pause) is not None, "resumed, the page catches up")

        # Filters.
        Select(driver.find_element(By.ID, "filter-state")).select_by_visible_text("completed")
        driver.find_element(By.ID, "apply-filters").click()
        wait(driver, lambda d: all(state == "completed" for _, state in listed(d)) and task_row(d, fresh) is not None,
             "filtered by state, only completed tasks are listed")
        check(len(listed(driver)) == api_counts(api_base)["completed"], "the state filter lists as many tasks as the API has completed")
        driver.find_element(By.ID, "clear-filters").click()
        driver.find_element(By.ID, "filter-type").send_keys("nobody-runs-this")
        driver.find_element(By.ID, "apply-filters").click()
        wait(driver, lambda d: [task for task, _ in listed(d)] == [unrunnable],
             "filtered by type, only that type's task is listed")
        driver.find_element(By.ID, "clear-filters").click()
        driver.find_element(By.ID, "filter-agent").send_keys(AGENT_ID)
        driver.find_element(By.ID, "apply-filters").click()
        wait(driver, lambda d: task_row(d, broken) is not None and task_row(d, unrunnable) is None,
             "filtered by agent, the agent's tasks are listed and no other")
        driver.find_element(By.ID, "clear-filters").click()
        driver.find_element(By.ID, "filter-location").send_keys("not a code")
        driver.find_element(By.ID, "apply-filters").click()
        wait(driver, lambda d: "location must be" in d.find_element(By.ID, "tasks-error").text, "a bad filter is explained")
        driver.find_element(By.ID, "clear-filters").click()
        wait(driver, lambda d: task_row(d, waiting[0]) is not None, "cleared, every task is listed again")

        # Detail and cancel.
        open_task(driver, waiting[0])
        wait(driver, lambda d: d.find_element(By.ID, "detail-id").text == waiting[0], "the detail of a task opens")
        detail = driver.find_element(By.ID, "detail").text
        check('"n": 0' in detail and "waiting" in detail, "the detail shows the task's data and state")
        driver.save_screenshot(os.path.join(artifacts, "console-1400.png"))
        driver.find_element(By.ID, "cancel-task").click()
        driver.switch_to.alert.accept()
        wait(driver, lambda d: d.find_element(By.ID, "action-result").text == "Cancelled.", "cancelled from the page")
        check(api(api_base, "GET", "/v2/tasks/" + waiting[0])[1]["state"] == "cancelled", "the API says the task is cancelled")

        # Re-run a finished task: a new task with the same body.
        wait(driver, lambda d: task_row(d, broken) is not None, "the failed task is listed")
        open_task(driver, broken)
        wait(driver, lambda d: d.find_element(By.ID, "detail-id").text == broken and d.find_element(By.ID, "rerun-task").is_displayed(),
             "a failed task offers to run again")
        driver.find_element(By.ID, "rerun-task").click()
        driver.switch_to.alert.accept()
        wait(driver, lambda d: d.find_element(By.ID, "action-result").text.startswith("Created task "), "run again from the page")
        again = driver.find_element(By.ID, "action-result").text.split()[-1].rstrip(".")
        original, copy = api(api_base, "GET", "/v2/tasks/" + broken)[1], api(api_base, "GET", "/v2/tasks/" + again)[1]
        check(copy["state"] == "waiting" and copy["task_data"] == original["task_data"] and copy["task_type"] == original["task_type"]
              and copy["test_id"] == original["test_id"] and again != broken, "the new task has the finished one's body")

        # A forged action: the session's cookie without the CSRF token, or from another origin.
        cookie = session_cookie(driver)
        status, _, _ = request(console, "POST", "/dashboard/api/tasks/%s/cancel" % waiting[1], token=None, headers={"Cookie": cookie})
        check(status == 403, "an action with the session cookie but no CSRF token is refused (%d)" % status)
        csrf = driver.find_element(By.CSS_SELECTOR, 'meta[name="afm-csrf"]').get_attribute("content")
        status, _, _ = request(console, "POST", "/dashboard/api/tasks/%s/cancel" % waiting[1], token=None,
                               headers={"Cookie": cookie, "X-CSRF-Token": "0" * 64})
        check(status == 403, "an action with a wrong CSRF token is refused")
        status, _, _ = request(console, "POST", "/dashboard/api/tasks/%s/cancel" % waiting[1], token=None,
                               headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": "http://evil.example"})
        check(status == 403, "an action from another origin is refused")
        check(api(api_base, "GET", "/v2/tasks/" + waiting[1])[1]["state"] == "waiting", "the forged requests changed nothing")

        # A good citizen: HEAD, gzip, no console errors, no external resources.
        status, headers, body = request(console, "HEAD", "/dashboard/console.js", token=None)
        check(status == 200 and body == b"" and int(headers["content-length"]) > 0, "HEAD answers the head of a GET")
        status, headers, body = request(console, "GET", "/dashboard/api/panels", token=VIEWER, headers={"Accept-Encoding": "gzip"})
        check(status == 200 and headers.get("content-encoding") == "gzip" and json.loads(gzip.decompress(body))["panels"],
              "JSON is gzip-compressed when asked")
        check("default-src 'none'" in headers.get("content-security-policy", ""), "a Content-Security-Policy allows nothing external")
        # The bad filter's 400 above is expected; anything else (a script error, a refused resource) is not.
        problems = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and "not+a+code" not in entry["message"]]
        check(not problems, "the browser logged no errors: %s" % problems)

        # 375 px wide: nothing runs off the side.
        driver.set_window_size(375, 900)
        time.sleep(0.5)
        width = driver.execute_script("return document.documentElement.scrollWidth;")
        inner = driver.execute_script("return window.innerWidth;")
        check(width <= inner, "at 375 px the page is no wider than the window (%d <= %d)" % (width, inner))
        driver.save_screenshot(os.path.join(artifacts, "console-375.png"))
        # The reader's place stays while panels are redrawn under it: what is on screen stays where it is (the
        # browser may move the scroll offset to keep it there, as panels above change height).
        driver.execute_script("document.getElementById('tasks-title').scrollIntoView({block: 'start'});")
        top = lambda d: d.execute_script("return Math.round(document.getElementById('tasks-title').getBoundingClientRect().top);")
        before = top(driver)
        moved = new_task(api_base, data={"n": 60})
        wait(driver, lambda d: task_row(d, moved) is not None, "a new task arrives while the reader is scrolled down")
        after = top(driver)
        check(abs(after - before) <= 2 and driver.execute_script("return window.scrollY;") > 0,
              "the reader's place stays through an update (the tasks' heading at %d px, then %d px)" % (before, after))
        check(driver.find_element(By.ID, "detail-id").text == again and not driver.find_element(By.ID, "detail-panel").get_attribute("hidden"),
              "the open task stays open through updates")
        driver.set_window_size(1400, 1000)

        # Keyboard: the first control is reachable with Tab.
        driver.find_element(By.TAG_NAME, "body").send_keys("\t")
        check(driver.switch_to.active_element.tag_name in ("button", "input", "select"), "controls are reachable with the keyboard")

        # Log out: the session ends for good.
        driver.find_element(By.ID, "logout").click()
        wait(driver, lambda d: d.current_url.endswith("/dashboard/login"), "logged out, the login page shows")
        status, _, _ = request(console, "GET", "/dashboard/api/panels", token=None, headers={"Cookie": cookie})
        check(status == 401, "the ended session opens nothing (%d)" % status)

        # A viewer sees the console without any action and may not act.
        log_in(driver, console, VIEWER)
        wait(driver, lambda d: task_row(d, waiting[1]) is not None, "the viewer sees the tasks")
        open_task(driver, waiting[1])
        wait(driver, lambda d: d.find_element(By.ID, "detail-id").text == waiting[1], "the viewer opens a task's detail")
        check(not driver.find_elements(By.ID, "cancel-task") and not driver.find_elements(By.ID, "rerun-task"),
              "a viewer's page has no action buttons")
        viewer_cookie = session_cookie(driver)
        viewer_csrf = driver.find_element(By.CSS_SELECTOR, 'meta[name="afm-csrf"]').get_attribute("content")
        status, _, _ = request(console, "POST", "/dashboard/api/tasks/%s/cancel" % waiting[1], token=None,
                               headers={"Cookie": viewer_cookie, "X-CSRF-Token": viewer_csrf})
        check(status == 403, "a viewer's action is refused even with its CSRF token")
        status, _ = api(api_base, "GET", "/v2/tasks", token=VIEWER)
        check(status == 200, "a viewer token reads the BPMS API")
        status, _ = api(api_base, "DELETE", "/v2/tasks/%s" % waiting[1], token=VIEWER)
        check(status == 403, "a viewer token does not write through the BPMS API")

        # With process B killed midway, the console of A goes on, and what A makes still shows.
        if shared:
            processes[1].kill()
            processes[1].wait()
            late = new_task(console, data={"n": 50})
            wait(driver, lambda d: task_row(d, late) is not None, "after the other process is killed, the console goes on")
            final = api_counts(console)
            wait(driver, lambda d: page_counts(d) == final, "the counts still match the API: %s" % final)

        print("screenshot: " + os.path.join(artifacts, "console-1400.png"))
        print("screenshot: " + os.path.join(artifacts, "console-375.png"))
        print("console browser test: %d checks passed" % len(CHECKS))
    except Exception:
        if driver is not None:
            driver.save_screenshot(os.path.join(artifacts, "console-failure.png"))
            print("screenshot of the failure: " + os.path.join(artifacts, "console-failure.png"), file=sys.stderr)
        for log in (log_a, log_b):
            log.flush()
            print("---- " + log.name, file=sys.stderr)
            print(open(log.name).read()[-4000:], file=sys.stderr)
        raise
    finally:
        if driver is not None:
            driver.quit()
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


if __name__ == "__main__":
    main()
