import JSON

/// `PUT /v2/task-types/{type}/{version}`: the JSON Schemas a task type's data and results must satisfy, as the agent
/// registers its checks and the AFM reads them.
public struct TaskTypeBody: Sendable, Equatable {
    public let taskSchema: JSONValue
    /// nil: results are not checked (absent or `null` in the body).
    public let resultSchema: JSONValue?

    public init(taskSchema: JSONValue, resultSchema: JSONValue?) {
        self.taskSchema = taskSchema
        self.resultSchema = resultSchema
    }

    /// Reads the body; anything but `task_schema` and an optional `result_schema` is refused.
    public init(json body: JSONValue) throws(InvalidRequest) {
        guard case .object(let members) = body, let taskSchema = members["task_schema"],
            Set(members.keys).isSubset(of: ["task_schema", "result_schema"])
        else {
            throw InvalidRequest(#"the body must be {"task_schema": {…}, "result_schema": {…}} (result_schema optional)"#)
        }
        // JSONValue is ExpressibleByNilLiteral, so spell out that a JSON null means "no result schema".
        let resultSchema: JSONValue? = switch members["result_schema"] {
        case .none, .some(.null): nil
        case .some(let schema): schema
        }
        self.init(taskSchema: taskSchema, resultSchema: resultSchema)
    }

    public func encoded() -> [UInt8] {
        var members: [String: JSONValue] = ["task_schema": taskSchema]
        if let resultSchema { members["result_schema"] = resultSchema }
        return JSONWriter.bytes(from: .object(members))
    }
}
