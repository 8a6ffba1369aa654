import FleetModel
import FleetService
import Foundation
import JSON

/// The v2 JSON forms of tasks, agents, locations and task types. Times are ISO 8601 UTC; absent facts are left out.
enum V2Representations {
    static func task(_ task: TaskRecord, now: Timestamp = .now()) -> JSONValue {
        // An unclaimed task past its time to live is expired even before the sweeper records it.
        let expiredNow = task.state == .waiting && (task.expires.map { $0.microsecondsSinceEpoch <= now.microsecondsSinceEpoch } ?? false)
        var members: [String: JSONValue] = [
            "task_id": .string(task.id.canonical), "test_id": .string(task.testID.canonical),
            "task_type": .string(task.type), "task_version": .number(.integer(task.version)),
            "task_data": parsed(task.dataJSON) ?? [:], "state": .string(expiredNow ? "expired" : task.state.rawValue),
            "attempts": .number(.integer(Int64(task.attempts))), "created": .string(task.created.iso8601Text),
        ]
        members["agent_id"] = task.agentID.map { .string($0.canonical) }
        members["ttl_seconds"] = task.ttlSeconds.map { .number(.integer($0)) }
        members["expires"] = task.expires.map { .string($0.iso8601Text) }
        members["claimed"] = task.claimed.map { .string($0.iso8601Text) }
        members["completed"] = task.completed.map { .string($0.iso8601Text) }
        members["finished"] = (task.completed ?? task.failed ?? (expiredNow ? task.expires : nil)).map { .string($0.iso8601Text) }
        members["result"] = parsed(task.resultJSON)
        members["error"] = expiredNow ? "expired" : task.error.map { .string($0) }
        if !task.locations.isEmpty { members["locations"] = .array(task.locations.map { .string($0.description) }) }
        members["schedule"] = task.schedule.map { .string($0) }
        members["slot"] = task.slot.map { .string($0.iso8601Text) }
        return .object(members)
    }

    static func schedule(_ schedule: ScheduleRecord) -> JSONValue {
        let definition = schedule.definition
        var members: [String: JSONValue] = [
            "name": .string(definition.name), "test_id": .string(definition.testID.canonical),
            "task_type": .string(definition.type), "task_version": .number(.integer(definition.version)),
            "task_data": parsed(definition.dataJSON) ?? [:], "ttl_seconds": .number(.integer(definition.ttlSeconds)),
            "paused": .bool(definition.paused),
            "offset_seconds": .number(.double(Double(schedule.timetable.offsetMicroseconds / 1000) / 1000)),
            "next_slot": .string(schedule.nextSlot.iso8601Text),
            "created": .string(schedule.created.iso8601Text), "updated": .string(schedule.updated.iso8601Text),
        ]
        switch definition.timing {
        case .every(let seconds): members["every_seconds"] = .number(.integer(seconds))
        case .cron(let expression): members["cron"] = .string(expression.description)
        }
        if !definition.locations.isEmpty { members["locations"] = .array(definition.locations.map { .string($0.description) }) }
        return .object(members)
    }

    /// A slot with its runs: each place's task and its state, or why it has none.
    static func slot(_ slot: ScheduleService.Slot, now: Timestamp) -> JSONValue {
        .object([
            "slot": .string(slot.time.iso8601Text),
            "runs": .array(slot.runs.map { run in
                var members: [String: JSONValue] = ["location": run.location.map { .string($0.description) } ?? .null]
                switch run.status {
                case .task(let record):
                    let task = self.task(record, now: now)
                    members["status"] = task["state"]
                    members["task"] = task
                    if task["state"]?.stringValue == "expired" {
                        members["reason"] = .string("not run: no agent \(run.location.map { "in \($0) " } ?? "")claimed it within its time to live")
                    }
                case .missed:
                    members["status"] = "missed"
                    members["reason"] = "not created: no afm process came to the slot while it was younger than its time to live"
                case .due:
                    members["status"] = "due"
                    members["reason"] = "due: the next pass over the schedule creates its task"
                }
                return .object(members)
            }),
        ])
    }

    static func agent(_ agent: AgentRecord, activeSince: Timestamp) -> JSONValue {
        var members: [String: JSONValue] = [
            "agent_id": .string(agent.id.canonical), "name": .string(agent.name), "last_seen": .string(agent.lastSeen.iso8601Text),
            "state": agent.lastSeen.microsecondsSinceEpoch >= activeSince.microsecondsSinceEpoch ? "active" : "lost",
            "capabilities": capabilities(agent.capabilities),
            "tasks_in_hand": .array(agent.tasksInHand.map { .string($0.canonical) }),
        ]
        if let location = agent.location {
            var place: [String: JSONValue] = ["country": .string(location.country), "region": .string(location.region)]
            place["latitude"] = location.latitude.map { .number(.double($0)) }
            place["longitude"] = location.longitude.map { .number(.double($0)) }
            members["location"] = .object(place)
        }
        return .object(members)
    }

    static func location(_ location: FleetLocation) -> JSONValue {
        var members: [String: JSONValue] = [
            "location": .string(location.place.description), "country": .string(location.place.country),
            "active_agents": .number(.integer(Int64(location.activeAgents))),
            "capabilities": capabilities(location.capabilities),
        ]
        members["region"] = location.place.region.map { .string($0) }
        return .object(members)
    }

    static func taskType(_ taskType: TaskTypeRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "task_type": .string(taskType.type), "task_version": .number(.integer(taskType.version)),
            "task_schema": parsed(taskType.taskSchemaJSON) ?? true,
            "created": .string(taskType.created.iso8601Text), "updated": .string(taskType.updated.iso8601Text),
        ]
        members["result_schema"] = parsed(taskType.resultSchemaJSON)
        return .object(members)
    }

    private static func capabilities(_ capabilities: [Capability]) -> JSONValue {
        .array(capabilities.map { ["type": .string($0.type), "version": .number(.integer($0.version))] })
    }

    private static func parsed(_ json: String?) -> JSONValue? {
        json.flatMap { try? JSONParser.parse($0) }
    }
}
