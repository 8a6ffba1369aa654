import JSON

/// A task type's registration, as `GET /v2/task-types` and `PUT /v2/task-types/{type}/{version}` answer it.
public struct TaskTypeAnswer: Sendable, Equatable {
    public let type: String
    public let version: Int64
    public let taskSchema: JSONValue
    public let resultSchema: JSONValue?
    public let created: Timestamp
    public let updated: Timestamp

    public init(type: String, version: Int64, taskSchema: JSONValue, resultSchema: JSONValue?, created: Timestamp, updated: Timestamp) {
        self.type = type
        self.version = version
        self.taskSchema = taskSchema
        self.resultSchema = resultSchema
        self.created = created
        self.updated = updated
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "task_type": .string(type), "task_version": .number(.integer(version)), "task_schema": taskSchema,
            "created": .string(created.iso8601Text), "updated": .string(updated.iso8601Text),
        ]
        members["result_schema"] = resultSchema
        return .object(members)
    }
}
