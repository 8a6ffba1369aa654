import FleetModel
import FleetService
import FleetStore
import JSON

/// The console's panels as JSON, each on its own: counts by state, the waiting backlog, agents, schedules and the
/// filtered task list. Each carries a `version` (a hash of its content), so that the page asks with the versions
/// it has and gets back only the panels that changed.
enum ConsolePanels {
    static let backlogGroups = 50
    static let agentsShown = 100
    static let schedulesShown = 100
    static let tasksShown = 50

    static func counts(_ counts: TaskCounts) -> JSONValue {
        var states: [String: JSONValue] = [:]
        for state in TaskState.allCases { states[state.rawValue] = .number(.integer(Int64(counts[state]))) }
        return [
            "states": .object(states),
            "total": .number(.integer(Int64(counts.byState.values.reduce(0, +)))),
            "oldest_waiting": counts.oldestWaiting.map { .string($0.iso8601Text) } ?? .null,
        ]
    }

    static func backlog(_ backlog: [ConsoleService.Backlog]) -> JSONValue {
        [
            "groups": .array(backlog.map { item in
                [
                    "task_type": .string(item.group.type), "task_version": .number(.integer(item.group.version)),
                    "locations": .array(item.group.locations.map { .string($0.description) }),
                    "count": .number(.integer(Int64(item.group.count))), "oldest": .string(item.group.oldestCreated.iso8601Text),
                    "runnable": .bool(item.runnable),
                ]
            }),
            "limit": .number(.integer(Int64(backlogGroups))),
        ]
    }

    static func agents(_ roster: ConsoleService.Roster) -> JSONValue {
        [
            "known": .number(.integer(Int64(roster.counts.known))),
            "active": .number(.integer(Int64(roster.counts.active))),
            "lost": .number(.integer(Int64(roster.counts.lost))),
            "agents": .array(roster.agents.map { V2Representations.agent($0, activeSince: roster.activeSince).json }),
        ]
    }

    static func schedules(_ levels: [ConsoleService.ScheduleLevel]) -> JSONValue {
        [
            "schedules": .array(levels.map { level in
                let definition = level.schedule.definition
                return [
                    "name": .string(definition.name), "task_type": .string(definition.type),
                    "task_version": .number(.integer(definition.version)),
                    "locations": .array(definition.locations.map { .string($0.description) }),
                    "paused": .bool(definition.paused),
                    "uptime_24h": level.uptime.map { .number(.double($0)) } ?? .null,
                    "open_incident": level.openIncident.map(V2Representations.incident) ?? .null,
                ]
            })
        ]
    }

    static func tasks(_ page: TaskPage, now: Timestamp) -> JSONValue {
        [
            "tasks": .array(page.tasks.map { task in
                let answer = V2Representations.task(task, now: now)
                return [
                    "task_id": .string(task.id.canonical), "task_type": .string(task.type), "task_version": .number(.integer(task.version)),
                    "state": .string(answer.state), "agent_id": task.agentID.map { .string($0.canonical) } ?? .null,
                    "created": .string(task.created.iso8601Text), "finished": answer.finished.map { .string($0.iso8601Text) } ?? .null,
                    "locations": .array(task.locations.map { .string($0.description) }), "test_id": .string(task.testID.canonical),
                ]
            }),
            "next_cursor": page.nextCursor.map { .string(String($0)) } ?? .null,
        ]
    }

    /// FNV-1a over the panel's JSON: equal content, equal version, in every `afm` process.
    static func version(of bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
