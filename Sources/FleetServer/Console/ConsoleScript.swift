/// The console's script: asks `/dashboard/api/panels` once a second with the versions it has, redraws only the
/// panels that changed, in place (the reader's scroll, focus and open task stay), and pauses on request. Every value
/// goes into the page as text, never as markup.
enum ConsoleScript {
    static let text = #"""
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="afm-csrf"]').content;
  const $ = (id) => document.getElementById(id);
  const versions = {};
  let paused = false, timer = null, selected = null, cursor = null;

  function el(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    return node;
  }
  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null || cell === undefined ? "" : String(cell);
      tr.appendChild(td);
    }
    return tr;
  }
  function replaceRows(tbody, rows, empty, columns) {
    const fragment = document.createDocumentFragment();
    if (rows.length === 0) {
      const td = el("td", empty, { colspan: String(columns) });
      td.className = "empty";
      const tr = document.createElement("tr"); tr.appendChild(td); fragment.appendChild(tr);
    }
    rows.forEach((r) => fragment.appendChild(r));
    tbody.replaceChildren(fragment);
  }
  function age(iso, now) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000));
    if (seconds < 120) return seconds + " s";
    if (seconds < 7200) return Math.round(seconds / 60) + " min";
    if (seconds < 172800) return Math.round(seconds / 3600) + " h";
    return Math.round(seconds / 86400) + " d";
  }
  function time(iso) { return iso ? new Date(iso).toISOString().slice(0, 19).replace("T", " ") + "Z" : ""; }
  function shortID(id, label) {
    const code = el("code", id.slice(0, 8), { title: id });
    if (label) code.setAttribute("aria-label", label + " " + id);
    return code;
  }

  const panels = {
    counts(panel, now) {
      const list = $("counts");
      const items = Object.entries(panel.states).map(([state, count]) => {
        const li = el("li", null, { "data-state": state });
        li.appendChild(el("span", state, { class: "state " + state }));
        li.appendChild(el("strong", count, { id: "count-" + state }));
        return li;
      });
      list.replaceChildren(...items);
      $("oldest").dataset.oldest = panel.oldest_waiting || "";
      $("oldest").textContent = panel.oldest_waiting ? "Oldest waiting task: " + age(panel.oldest_waiting, now) + " old" : "No task is waiting.";
    },
    backlog(panel, now) {
      replaceRows($("backlog"), panel.groups.map((g) => {
        const tr = row([g.task_type + " v" + g.task_version, g.locations.length ? g.locations.join(", ") : "anywhere", g.count,
          age(g.oldest, now), g.runnable ? "yes" : "no active agent"]);
        if (!g.runnable) tr.className = "unrunnable";
        return tr;
      }), "Nothing is waiting.", 5);
    },
    agents(panel, now) {
      $("agents-summary").textContent = panel.known + " agents known: " + panel.active + " active, " + panel.lost + " lost" +
        (panel.agents.length < panel.known ? "; the " + panel.agents.length + " seen most recently are listed" : "");
      replaceRows($("agents"), panel.agents.map((a) => {
        const name = el("button", a.agent_name, { type: "button", class: "link", title: "Show this agent's tasks" });
        name.addEventListener("click", () => { $("filter-agent").value = a.agent_id; applyFilters(); });
        const tr = row([name, a.location ? a.location.country + "/" + a.location.region : "", a.state,
          age(a.last_seen, now) + " ago", a.capabilities.map((c) => c.task_type + " v" + c.task_version).join(", "), a.tasks_in_hand.length]);
        tr.className = a.state;
        return tr;
      }), "No agent has polled yet.", 6);
    },
    schedules(panel) {
      replaceRows($("schedules"), panel.schedules.map((s) => row([s.name, s.task_type + " v" + s.task_version,
        s.locations.length ? s.locations.join(", ") : "anywhere",
        s.paused ? "paused" : (s.uptime_24h === null ? "no runs" : (s.uptime_24h * 100).toFixed(3) + " %"),
        s.open_incident ? "open since " + time(s.open_incident.start) : "none open"])), "No schedules.", 5);
    },
    tasks(panel) {
      replaceRows($("tasks"), panel.tasks.map((t) => {
        const open = el("button", null, { type: "button", class: "link", "data-task": t.task_id });
        open.appendChild(shortID(t.task_id, "Open task"));
        open.addEventListener("click", () => openTask(t.task_id));
        const tr = row([open, t.task_type + " v" + t.task_version, el("span", t.state, { class: "state " + t.state }),
          t.locations.join(", "), time(t.created), time(t.finished)]);
        tr.dataset.task = t.task_id;
        if (t.task_id === selected) tr.classList.add("selected");
        return tr;
      }), "No task matches.", 6);
      $("older").hidden = !panel.next_cursor;
      $("older").dataset.cursor = panel.next_cursor || "";
      $("newest").hidden = cursor === null;
    },
  };

  function filterParameters() {
    const parameters = new URLSearchParams();
    for (const name of ["state", "type", "agent", "location", "test"]) {
      const value = $("filter-" + name).value.trim();
      if (value) parameters.set(name, value);
    }
    if (cursor !== null) parameters.set("cursor", cursor);
    return parameters;
  }

  async function refresh() {
    timer = null;
    const parameters = filterParameters();
    parameters.set("have", Object.entries(versions).map(([k, v]) => k + ":" + v).join(","));
    try {
      const response = await fetch("/dashboard/api/panels?" + parameters, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.status === 401) { window.location.assign("/dashboard/login"); return; }
      const body = await response.json();
      if (!response.ok) {
        $("tasks-error").textContent = body.error || ("HTTP " + response.status);
        delete versions.tasks;
      } else {
        $("tasks-error").textContent = "";
        for (const [name, panel] of Object.entries(body.panels)) {
          panels[name](panel, body.now);
          versions[name] = panel.version;
        }
        $("live").textContent = "live · " + time(body.now);
        if (selected) await showTask(selected, false);
      }
    } catch (error) {
      $("live").textContent = "reconnecting…";
    }
    schedule();
  }
  function schedule() {
    if (!paused && timer === null) timer = setTimeout(refresh, 1000);
  }
  function reload() {
    delete versions.tasks;
    if (timer !== null) { clearTimeout(timer); timer = null; }
    refresh();
  }
  function applyFilters() {
    cursor = null;
    reload();
  }

  async function showTask(id, focus) {
    const response = await fetch("/dashboard/api/tasks/" + encodeURIComponent(id), { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) return;
    const task = await response.json();
    if (selected !== id) return;
    $("detail-panel").hidden = false;
    $("detail-id").textContent = task.task_id;
    const list = document.createDocumentFragment();
    const fields = [["State", task.state], ["Type", task.task_type + " v" + task.task_version], ["Test", task.test_id],
      ["Agent", task.agent_id ? (task.agent_name || "") + " " + task.agent_id : "none"], ["Attempts", task.attempts],
      ["Locations", (task.locations || []).join(", ") || "anywhere"], ["Schedule", task.schedule || ""],
      ["Created", time(task.created)], ["Claimed", time(task.claimed)], ["Finished", time(task.finished)],
      ["Expires", time(task.expires)], ["Data", JSON.stringify(task.task_data, null, 2)],
      ["Result", task.result === undefined ? "" : JSON.stringify(task.result, null, 2)], ["Error", task.error || ""],
      ["Verdict", task.verdict ? JSON.stringify(task.verdict) : ""]];
    for (const [name, value] of fields) {
      if (value === "" || value === undefined || value === null) continue;
      list.appendChild(el("dt", name));
      const dd = el("dd", null, { "data-field": name.toLowerCase() });
      dd.appendChild(name === "Data" || name === "Result" ? el("pre", value) : document.createTextNode(String(value)));
      list.appendChild(dd);
    }
    $("detail").replaceChildren(list);
    const finished = !["waiting", "claimed"].includes(task.state);
    if ($("cancel-task")) $("cancel-task").hidden = finished;
    if ($("rerun-task")) $("rerun-task").hidden = !finished;
    document.querySelectorAll("#tasks tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.task === id));
    if (focus) $("detail-title").scrollIntoView({ block: "nearest" });
  }
  function openTask(id) {
    selected = id;
    $("action-result").textContent = "";
    showTask(id, true);
  }

  async function act(action, question) {
    if (!selected || !window.confirm(question)) return;
    const response = await fetch("/dashboard/api/tasks/" + encodeURIComponent(selected) + "/" + action, {
      method: "POST", headers: { "X-CSRF-Token": csrf, Accept: "application/json" }, cache: "no-store" });
    const body = await response.json();
    if (!response.ok) { $("action-result").textContent = body.error || ("HTTP " + response.status); return; }
    if (action === "rerun") {
      openTask(body.task_id);
      $("action-result").textContent = "Created task " + body.task_id + ".";
    } else {
      $("action-result").textContent = "Cancelled.";
      showTask(selected, false);
    }
    delete versions.tasks; delete versions.counts;
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!$("counts")) return; // the login page
    $("pause").addEventListener("click", () => {
      paused = !paused;
      $("pause").setAttribute("aria-pressed", String(paused));
      $("pause").textContent = paused ? "Resume updates" : "Pause updates";
      $("live").textContent = paused ? "paused" : "live";
      if (paused && timer !== null) { clearTimeout(timer); timer = null; }
      if (!paused) refresh();
    });
    $("filters").addEventListener("submit", (event) => { event.preventDefault(); applyFilters(); });
    $("filters").addEventListener("reset", () => setTimeout(applyFilters, 0));
    $("older").addEventListener("click", () => { cursor = $("older").dataset.cursor; reload(); });
    $("newest").addEventListener("click", () => { cursor = null; reload(); });
    $("close-detail").addEventListener("click", () => { selected = null; $("detail-panel").hidden = true;
      document.querySelectorAll("#tasks tr.selected").forEach((tr) => tr.classList.remove("selected")); });
    if ($("cancel-task")) $("cancel-task").addEventListener("click", () => act("cancel", "Cancel task " + selected + "?"));
    if ($("rerun-task")) $("rerun-task").addEventListener("click", () => act("rerun", "Run task " + selected + " again, as a new task?"));
    refresh();
  });
})();
"""#
}
