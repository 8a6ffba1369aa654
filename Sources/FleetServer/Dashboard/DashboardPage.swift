import FleetModel
import FleetService
import JSON

/// Renders the dashboard as one self-contained HTML page (no scripts, no external assets) that reloads every
/// five seconds.
enum DashboardPage {
    /// A schedule's service level as the page shows it.
    struct ScheduleLevel {
        /// Over the last 24 hours; nil without runs.
        let uptime: Double?
        let openIncident: IncidentRecord?
    }

    static func render(
        _ snapshot: DashboardSnapshot, locations: [FleetLocation], schedules: [ScheduleRecord], levels: [String: ScheduleLevel] = [:],
        now: Timestamp
    ) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>AgentFleet dashboard</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin-bottom:1.5em;width:100%}
            th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;font-size:.9em;vertical-align:top}
            th{background:#f4f4f4} .completed{color:#17692d} .failed{color:#a4161a} .claimed{color:#1d4ed8}
            code{font-size:.85em}
            </style></head><body>
            <h1>AgentFleet</h1>
            <p>\(snapshot.agents.count) agents shown, \(snapshot.unassignedTasks.count) unassigned tasks shown · \(escape(now.protocolOneText)) UTC</p>
            <h2>Unassigned tasks</h2>
            """
        html += taskTable(snapshot.unassignedTasks)
        html += "<h2>Locations</h2>"
        html += locationTable(locations)
        html += "<h2>Schedules</h2>"
        html += scheduleTable(schedules, levels: levels)
        html += "<h2>Agents</h2>"
        if snapshot.agents.isEmpty { html += "<p>No agent has polled yet.</p>" }
        for agent in snapshot.agents {
            let capabilities = listed(agent.capabilities)
            html += """
                <h3>\(escape(agent.name)) <code>\(agent.id.canonical)</code></h3>
                <p>Last seen \(escape(agent.lastSeen.protocolOneText)) UTC · runs \(escape(capabilities.isEmpty ? "nothing" : capabilities))</p>
                """
            html += taskTable(agent.tasks)
        }
        html += "</body></html>\n"
        return html
    }

    private static func taskTable(_ tasks: [TaskRecord]) -> String {
        guard !tasks.isEmpty else { return "<p>None.</p>" }
        var html = "<table><tr><th>Task</th><th>Type</th><th>Where</th><th>Test</th><th>State</th><th>Created</th><th>Outcome</th></tr>"
        for task in tasks {
            let outcome = task.error ?? task.resultJSON ?? ""
            let places = task.locations.isEmpty ? "anywhere" : task.locations.map(\.description).joined(separator: ", ")
            html += """
                <tr><td><code>\(task.id.canonical)</code></td><td>\(escape(task.type)) v\(task.version)</td><td>\(escape(places))</td>\
                <td><code>\(task.testID.canonical)</code></td><td class="\(task.state.rawValue)">\(task.state.rawValue)</td>\
                <td>\(escape(task.created.protocolOneText))</td><td><code>\(escape(String(outcome.prefix(200))))</code></td></tr>
                """
        }
        return html + "</table>"
    }

    /// Where agents are active now (agents that report no location are not counted).
    private static func locationTable(_ locations: [FleetLocation]) -> String {
        guard !locations.isEmpty else { return "<p>No active agent has reported where it is.</p>" }
        var html = "<table><tr><th>Location</th><th>Active agents</th><th>Runs</th></tr>"
        for location in locations {
            html += """
                <tr><td>\(escape(location.place.description))</td><td>\(location.activeAgents)</td><td>\(escape(listed(location.capabilities)))</td></tr>
                """
        }
        return html + "</table>"
    }

    /// The schedules, their timing, where they run and their next slot.
    private static func scheduleTable(_ schedules: [ScheduleRecord], levels: [String: ScheduleLevel]) -> String {
        guard !schedules.isEmpty else { return "<p>No schedule.</p>" }
        var html = "<table><tr><th>Schedule</th><th>Type</th><th>When</th><th>Where</th><th>Next slot</th><th>Uptime 24 h</th><th>Incident</th><th>Test</th></tr>"
        for schedule in schedules {
            let definition = schedule.definition
            let when: String
            switch definition.timing {
            case .every(let seconds): when = "every \(seconds) s"
            case .cron(let expression): when = "cron \(expression)"
            }
            let places = definition.locations.isEmpty ? "anywhere" : definition.locations.map(\.description).joined(separator: ", ")
            let next = definition.paused ? "paused" : schedule.nextSlot.protocolOneText
            let level = levels[definition.name]
            let uptime = level?.uptime.map { String(format: "%.3f %%", $0 * 100) } ?? "no runs"
            let incident = level?.openIncident.map { incident in
                "open since \(incident.start.protocolOneText) (\(incident.failures.keys.sorted().map { $0.isEmpty ? "anywhere" : $0 }.joined(separator: ", ")))"
            } ?? (definition.alert == nil ? "no alert" : "none open")
            html += """
                <tr><td>\(escape(definition.name))</td><td>\(escape(definition.type)) v\(definition.version)</td><td>\(escape(when))</td>\
                <td>\(escape(places))</td><td>\(escape(next))</td><td>\(escape(uptime))</td><td>\(escape(incident))</td>\
                <td><code>\(definition.testID.canonical)</code></td></tr>
                """
        }
        return html + "</table>"
    }

    private static func listed(_ capabilities: [Capability]) -> String {
        capabilities.map { "\($0.type) v\($0.version)" }.joined(separator: ", ")
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
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
