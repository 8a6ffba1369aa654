import JSON
/// The JSON Schemas registered for a task type and version: `task_data` must satisfy the task schema, a result the
/// result schema (when there is one).
public struct TaskTypeRecord: Sendable, Equatable {
    public let type: String
    public let version: Int64
    /// The schemas as serialized JSON.
    public let taskSchemaJSON: String
    public let resultSchemaJSON: String?
    public let created: Timestamp
    public let updated: Timestamp

    public init(type: String, version: Int64, taskSchemaJSON: String, resultSchemaJSON: String?, created: Timestamp, updated: Timestamp) {
        self.type = type
        self.version = version
        self.taskSchemaJSON = taskSchemaJSON
        self.resultSchemaJSON = resultSchemaJSON
        self.created = created
        self.updated = updated
    }
}
