import FleetModel
import FleetService
import Foundation
import FleetWire
import JSON

/// The domain's tasks, schedules, agents, locations and task types as the wire's v2 answers.
enum V2Representations {
    static func task(_ task: TaskRecord, now: Timestamp) -> TaskAnswer {
        // An unclaimed task past its time to live is expired even before the sweeper records it.
        let expiredNow = task.state == .waiting && (task.expires.map { $0.microsecondsSinceEpoch <= now.microsecondsSinceEpoch } ?? false)
        var answer = TaskAnswer(
            taskID: task.id, testID: task.testID, type: task.type, version: task.version, data: parsed(task.dataJSON) ?? [:],
            state: expiredNow ? TaskState.expired.rawValue : task.state.rawValue, attempts: Int64(task.attempts), created: task.created)
        answer.agentID = task.agentID
        answer.ttlSeconds = task.ttlSeconds
        answer.expires = task.expires
        answer.claimed = task.claimed
        answer.completed = task.completed
        answer.finished = task.completed ?? task.failed ?? (expiredNow ? task.expires : nil)
        answer.result = parsed(task.resultJSON)
        answer.error = expiredNow ? "expired" : task.error
        answer.locations = task.locations.map(\.description)
        answer.schedule = task.schedule
        answer.slot = task.slot
        return answer
    }

    static func schedule(_ schedule: ScheduleRecord) -> ScheduleAnswer {
        let definition = schedule.definition
        let timing: ScheduleAnswer.Timing = switch definition.timing {
        case .every(let seconds): .everySeconds(seconds)
        case .cron(let expression): .cron(expression.description)
        }
        return ScheduleAnswer(
            name: definition.name, testID: definition.testID, type: definition.type, version: definition.version,
            data: parsed(definition.dataJSON) ?? [:], timing: timing,
            offsetSeconds: Double(schedule.timetable.offsetMicroseconds / 1000) / 1000, ttlSeconds: definition.ttlSeconds,
            paused: definition.paused, locations: definition.locations.map(\.description), nextSlot: schedule.nextSlot,
            created: schedule.created, updated: schedule.updated)
    }

    /// A slot with its runs: each place's task and its state, or why it has none.
    static func slot(_ slot: ScheduleService.Slot, now: Timestamp) -> JSONValue {
        .object([
            "slot": .string(slot.time.iso8601Text),
            "runs": .array(slot.runs.map { run in
                var members: [String: JSONValue] = ["location": run.location.map { .string($0.description) } ?? .null]
                switch run.status {
                case .task(let record):
                    let task = self.task(record, now: now).json
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

    static func agent(_ agent: AgentRecord, activeSince: Timestamp) -> AgentAnswer {
        AgentAnswer(
            agentID: agent.id, name: agent.name, lastSeen: agent.lastSeen,
            active: agent.lastSeen.microsecondsSinceEpoch >= activeSince.microsecondsSinceEpoch, capabilities: capabilities(agent.capabilities),
            tasksInHand: agent.tasksInHand,
            location: agent.location.map { .init(country: $0.country, region: $0.region, latitude: $0.latitude, longitude: $0.longitude) })
    }

    static func location(_ location: FleetLocation) -> LocationAnswer {
        LocationAnswer(
            location: location.place.description, country: location.place.country, region: location.place.region,
            activeAgents: Int64(location.activeAgents), capabilities: capabilities(location.capabilities))
    }

    static func taskType(_ taskType: TaskTypeRecord) -> TaskTypeAnswer {
        TaskTypeAnswer(
            type: taskType.type, version: taskType.version, taskSchema: parsed(taskType.taskSchemaJSON) ?? true,
            resultSchema: parsed(taskType.resultSchemaJSON), created: taskType.created, updated: taskType.updated)
    }

    private static func capabilities(_ capabilities: [Capability]) -> [WireCapability] {
        capabilities.map { WireCapability(type: $0.type, version: $0.version) }
    }

    private static func parsed(_ json: String?) -> JSONValue? {
        json.flatMap { try? JSONParser.parse($0) }
    }
}
