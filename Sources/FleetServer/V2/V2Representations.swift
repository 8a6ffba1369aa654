import FleetModel
import FleetService
import FleetStore
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
        answer.successSchema = parsed(task.runRule?.successSchemaJSON)
        answer.durationField = task.runRule?.durationField
        answer.verdict = task.verdict.flatMap(verdict)
        return answer
    }

    /// `{"up": true, "duration_seconds": …}` or `{"up": false, "reason": …, "detail": …}`; nil for a withdrawn run.
    static func verdict(_ verdict: RunVerdict) -> JSONValue? {
        var members: [String: JSONValue]
        switch verdict {
        case .up: members = ["up": true]
        case .down(let reason, let detail, _): members = ["up": false, "reason": .string(reason.rawValue), "detail": .string(detail)]
        case .withdrawn: return nil
        }
        members["duration_seconds"] = verdict.durationSeconds.map { .number(.double($0)) }
        return .object(members)
    }

    static func schedule(_ schedule: ScheduleRecord) -> ScheduleAnswer {
        let definition = schedule.definition
        let timing: ScheduleAnswer.Timing = switch definition.timing {
        case .every(let seconds): .everySeconds(seconds)
        case .cron(let expression): .cron(expression.description)
        }
        var answer = ScheduleAnswer(
            name: definition.name, testID: definition.testID, type: definition.type, version: definition.version,
            data: parsed(definition.dataJSON) ?? [:], timing: timing,
            offsetSeconds: Double(schedule.timetable.offsetMicroseconds / 1000) / 1000, ttlSeconds: definition.ttlSeconds,
            paused: definition.paused, locations: definition.locations.map(\.description), nextSlot: schedule.nextSlot,
            created: schedule.created, updated: schedule.updated)
        answer.successSchema = parsed(definition.runRule?.successSchemaJSON)
        answer.durationField = definition.runRule?.durationField
        answer.alert = definition.alert.map { ($0.failingLocations, $0.recoverAfter) }
        return answer
    }

    /// A summary: the window as counted, and each step's runs overall and, `byLocation`, per location.
    static func summary(_ summary: ServiceLevelService.Summary, byLocation: Bool) -> JSONValue {
        .object([
            "schedule": .string(summary.schedule), "from": .string(summary.from.iso8601Text), "to": .string(summary.to.iso8601Text),
            "windows": .array(summary.windows.map { window in
                var members: [String: JSONValue] = [
                    "start": .string(window.start.iso8601Text), "end": .string(window.end.iso8601Text), "overall": tally(window.overall),
                ]
                if byLocation {
                    members["locations"] = .array(window.locations.map { location, counted in
                        var entry = tally(counted).objectValue ?? [:]
                        entry["location"] = location.isEmpty ? .null : .string(location)
                        return .object(entry)
                    })
                }
                return .object(members)
            }),
        ])
    }

    /// Runs, up, down by reason, missed, uptime and duration percentiles (seconds; null without durations).
    static func tally(_ tally: RunTally) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number(.double($0)) } ?? .null }
        return .object([
            "runs": .number(.integer(tally.runs)), "up": .number(.integer(tally.up)), "down": .number(.integer(tally.downCount)),
            "down_by_reason": .object(Dictionary(uniqueKeysWithValues: DownReason.allCases.map { ($0.rawValue, .number(.integer(tally.down[$0] ?? 0))) })),
            "missed": .number(.integer(tally.missed)), "uptime": number(tally.uptime),
            "duration_seconds": .object([
                "p50": number(tally.durations.percentile(0.5)), "p95": number(tally.durations.percentile(0.95)),
                "p99": number(tally.durations.percentile(0.99)), "min": number(tally.durations.minimum), "max": number(tally.durations.maximum),
                "count": .number(.integer(tally.durations.total)),
            ]),
        ])
    }

    static func incident(_ incident: IncidentRecord) -> JSONValue {
        .object([
            "id": .string(incident.id.canonical), "schedule": .string(incident.schedule), "state": .string(incident.resolved == nil ? "open" : "resolved"),
            "start": .string(incident.start.iso8601Text), "end": incident.end.map { .string($0.iso8601Text) } ?? .null,
            "duration_seconds": incident.end.map { .number(.double(Double($0.microsecondsSinceEpoch - incident.start.microsecondsSinceEpoch) / 1e6)) } ?? .null,
            "failing_locations": .array(incident.failures.keys.sorted().map { $0.isEmpty ? .null : .string($0) }),
            "failures": .array(incident.failures.sorted { $0.key < $1.key }.map { location, reason in
                ["location": location.isEmpty ? .null : .string(location), "reason": .string(reason)]
            }),
            "opened": .string(incident.opened.iso8601Text), "resolved": incident.resolved.map { .string($0.iso8601Text) } ?? .null,
        ])
    }

    /// A webhook as answered: never its secret.
    static func webhook(_ webhook: Webhook) -> JSONValue {
        .object([
            "name": .string(webhook.name), "url": .string(webhook.url), "events": .array(webhook.events.map { .string($0) }),
            "secret_set": true, "created": .string(webhook.created.iso8601Text), "updated": .string(webhook.updated.iso8601Text),
        ])
    }

    static func delivery(_ delivery: DeliveryRecord) -> JSONValue {
        .object([
            "id": .string(delivery.id.canonical), "event": .string(delivery.event), "state": .string(delivery.state.rawValue),
            "created": .string(delivery.created.iso8601Text), "next_attempt": delivery.nextAttempt.map { .string($0.iso8601Text) } ?? .null,
            "body": parsed(delivery.body) ?? .string(delivery.body),
            "attempts": .array(delivery.attempts.map { attempt in
                [
                    "at": .string(attempt.at.iso8601Text), "status": attempt.status.map { .number(.integer(Int64($0))) } ?? .null,
                    "error": attempt.error.map { .string($0) } ?? .null, "seconds": .number(.double(attempt.seconds)),
                ]
            }),
        ])
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
