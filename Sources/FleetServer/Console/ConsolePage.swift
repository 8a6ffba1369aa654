import FleetModel
import FleetStore

/// The console's two pages. The console page is a frame of panels that `ConsoleScript` fills and keeps up to date;
/// a viewer's has no action controls at all, so nothing hidden could be revealed.
enum ConsolePage {
    static func console(role: ConsoleSession.Role, csrfToken: String, loggedIn: Bool) -> String {
        let logout = loggedIn
            ? """
            <form method="post" action="/dashboard/logout" class="logout"><input type="hidden" name="csrf_token" value="\(escape(csrfToken))">\
            <button type="submit" id="logout">Log out</button></form>
            """ : ""
        let actions = role == .operator_
            ? """
            <div class="actions" id="actions"><button type="button" id="cancel-task">Cancel task</button>\
            <button type="button" id="rerun-task">Run again</button></div>
            """ : ""
        return head(title: "AgentFleet console", csrfToken: csrfToken) + """
            <body>
            <header><h1>AgentFleet</h1>
            <span id="live" role="status" aria-live="polite">connecting…</span>
            <button type="button" id="pause" aria-pressed="false">Pause updates</button>
            <span class="role">\(role == .viewer ? "read-only" : "operator")</span>
            \(logout)
            </header>
            <main>
            <section id="counts-panel" aria-labelledby="counts-title"><h2 id="counts-title">Tasks by state</h2>
            <ul class="counts" id="counts"></ul><p id="oldest"></p></section>
            <section id="backlog-panel" aria-labelledby="backlog-title"><h2 id="backlog-title">Waiting, by type</h2>
            <div class="scroll"><table aria-labelledby="backlog-title"><thead><tr><th scope="col">Type</th><th scope="col">Locations</th>\
            <th scope="col">Waiting</th><th scope="col">Oldest</th><th scope="col">Runnable</th></tr></thead><tbody id="backlog"></tbody></table></div>
            </section>
            <section id="agents-panel" aria-labelledby="agents-title"><h2 id="agents-title">Agents</h2><p id="agents-summary"></p>
            <div class="scroll"><table aria-labelledby="agents-title"><thead><tr><th scope="col">Name</th><th scope="col">Location</th>\
            <th scope="col">State</th><th scope="col">Last seen</th><th scope="col">Capabilities</th><th scope="col">In hand</th></tr></thead>\
            <tbody id="agents"></tbody></table></div></section>
            <section id="schedules-panel" aria-labelledby="schedules-title"><h2 id="schedules-title">Schedules</h2>
            <div class="scroll"><table aria-labelledby="schedules-title"><thead><tr><th scope="col">Name</th><th scope="col">Type</th>\
            <th scope="col">Locations</th><th scope="col">Uptime 24 h</th><th scope="col">Incident</th></tr></thead>\
            <tbody id="schedules"></tbody></table></div></section>
            <section id="tasks-panel" aria-labelledby="tasks-title"><h2 id="tasks-title">Tasks</h2>
            <form id="filters" class="filters">
            <label>State <select name="state" id="filter-state"><option value="">any</option>\
            \(TaskState.allCases.map { "<option>\($0.rawValue)</option>" }.joined())</select></label>
            <label>Type <input name="type" id="filter-type" size="12"></label>
            <label>Agent <input name="agent" id="filter-agent" size="12" placeholder="agent id"></label>
            <label>Location <input name="location" id="filter-location" size="6" placeholder="FI/18"></label>
            <label>Test <input name="test" id="filter-test" size="12" placeholder="test id"></label>
            <button type="submit" id="apply-filters">Filter</button> <button type="reset" id="clear-filters">Clear</button>
            </form><p id="tasks-error" role="alert"></p>
            <div class="scroll"><table aria-labelledby="tasks-title"><thead><tr><th scope="col">Task</th><th scope="col">Type</th>\
            <th scope="col">State</th><th scope="col">Locations</th><th scope="col">Created</th><th scope="col">Finished</th></tr></thead>\
            <tbody id="tasks"></tbody></table></div>
            <p><button type="button" id="newest" hidden>Newest</button> <button type="button" id="older" hidden>Older</button></p>
            </section>
            <section id="detail-panel" aria-labelledby="detail-title" hidden><h2 id="detail-title">Task <code id="detail-id"></code></h2>
            <dl id="detail"></dl>\(actions)<p id="action-result" role="status"></p>
            <button type="button" id="close-detail">Close</button></section>
            </main>
            </body></html>
            """
    }

    static func login(message: String?) -> String {
        head(title: "Log in · AgentFleet", csrfToken: "") + """
            <body class="login"><main><h1>AgentFleet</h1>
            <form method="post" action="/dashboard/login" id="login-form">
            <label for="token">Access token</label>
            <input type="password" name="token" id="token" autocomplete="current-password" required autofocus>
            <button type="submit" id="login">Log in</button>
            </form>
            \(message.map { "<p class=\"error\" role=\"alert\" id=\"login-error\">\(escape($0))</p>" } ?? "")
            <p class="hint">A BPMS token may act from the console; a viewer token sees it read-only.</p>
            </main></body></html>
            """
    }

    private static func head(title: String, csrfToken: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="afm-csrf" content="\(escape(csrfToken))">
        <title>\(escape(title))</title>
        <link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/dashboard/console.css">
        <script src="/dashboard/console.js" defer></script>
        </head>
        """
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
