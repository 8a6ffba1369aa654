import Foundation
import JSON

/// A task as the v2 API answers it (`GET /v2/tasks/{id}`, lists, batches, a schedule's runs). Times are ISO 8601 UTC;
/// absent facts are left out.
public struct TaskAnswer: Sendable, Equatable {
    public var taskID: UUID
    public var testID: UUID
    public var type: String
    public var version: Int64
    public var data: JSONValue
    /// `waiting`, `claimed`, `completed`, `failed`, `expired` or `cancelled`.
    public var state: String
    public var attempts: Int64
    public var created: Timestamp
    public var agentID: UUID?
    public var ttlSeconds: Int64?
    public var expires: Timestamp?
    public var claimed: Timestamp?
    public var completed: Timestamp?
    public var finished: Timestamp?
    public var result: JSONValue?
    public var error: String?
    public var locations: [String] = []
    public var schedule: String?
    public var slot: Timestamp?
    public var successSchema: JSONValue?
    public var durationField: String?
    /// How the run counted (`RunVerdictAnswer`), once judged.
    public var verdict: JSONValue?

    public init(
        taskID: UUID, testID: UUID, type: String, version: Int64, data: JSONValue, state: String, attempts: Int64, created: Timestamp
    ) {
        self.taskID = taskID
        self.testID = testID
        self.type = type
        self.version = version
        self.data = data
        self.state = state
        self.attempts = attempts
        self.created = created
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "task_id": .string(taskID.canonical), "test_id": .string(testID.canonical), "task_type": .string(type),
            "task_version": .number(.integer(version)), "task_data": data, "state": .string(state),
            "attempts": .number(.integer(attempts)), "created": .string(created.iso8601Text),
        ]
        members["agent_id"] = agentID.map { .string($0.canonical) }
        members["ttl_seconds"] = ttlSeconds.map { .number(.integer($0)) }
        members["expires"] = expires.map { .string($0.iso8601Text) }
        members["claimed"] = claimed.map { .string($0.iso8601Text) }
        members["completed"] = completed.map { .string($0.iso8601Text) }
        members["finished"] = finished.map { .string($0.iso8601Text) }
        members["result"] = result
        members["error"] = error.map { .string($0) }
        if !locations.isEmpty { members["locations"] = .array(locations.map { .string($0) }) }
        members["schedule"] = schedule.map { .string($0) }
        members["slot"] = slot.map { .string($0.iso8601Text) }
        members["success_schema"] = successSchema
        members["duration_field"] = durationField.map { .string($0) }
        members["verdict"] = verdict
        return .object(members)
    }

    /// Why an answer could not be read as a task.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads a task as the AFM answers it.
    public init(json value: JSONValue) throws(Unreadable) {
        func text(_ name: String) -> String? { value[name]?.stringValue }
        func time(_ name: String) -> Timestamp? { text(name).flatMap(Timestamp.init(iso8601:)) }
        guard let taskID = text("task_id").flatMap(UUID.init(canonicalText:)), let testID = text("test_id").flatMap(UUID.init(canonicalText:)),
            let type = text("task_type"), let version = value["task_version"]?.numberValue?.int64Value, let state = text("state"),
            let attempts = value["attempts"]?.numberValue?.int64Value, let created = time("created")
        else {
            throw Unreadable(description: "not a v2 task: \(JSONWriter.string(from: value).prefix(200))")
        }
        self.init(
            taskID: taskID, testID: testID, type: type, version: version, data: value["task_data"] ?? [:], state: state,
            attempts: attempts, created: created)
        agentID = text("agent_id").flatMap(UUID.init(canonicalText:))
        ttlSeconds = value["ttl_seconds"]?.numberValue?.int64Value
        expires = time("expires")
        claimed = time("claimed")
        completed = time("completed")
        finished = time("finished")
        result = value["result"]
        error = text("error")
        locations = value["locations"]?.arrayValue?.compactMap(\.stringValue) ?? []
        schedule = text("schedule")
        slot = time("slot")
    }
}
