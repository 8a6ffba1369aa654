import JSON

/// `POST /tasks/response`: a task's outcome, as the agent sends it (and keeps it in its outbox) and the AFM reads it.
public struct TaskResponseBody: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// `task_data`, as JSON text.
        case result(json: String)
        case error(String)
    }

    public let taskID: String
    public let outcome: Outcome

    public init(taskID: String, outcome: Outcome) {
        self.taskID = taskID
        self.outcome = outcome
    }

    /// Reads an outcome, refusing one that breaks the protocol-1 schema or speaks another protocol.
    public init(json body: JSONValue) throws(InvalidRequest) {
        try ProtocolOneSchemas.taskResponse.require(body)
        let members = body.objectValue!
        try requireSupportedProtocol(members)
        let outcome: Outcome
        if let result = members["task_data"] {
            outcome = .result(json: JSONWriter.string(from: result))
        } else {
            outcome = .error(members["task_error"]!.stringValue!)
        }
        self.init(taskID: members["task_id"]!.stringValue!, outcome: outcome)
    }

    /// `{"protocol": 1, "task_data": …, "task_id": …}` or the same with `task_error`, members sorted by key.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 128)
        writer.appendObject { members in
            members.integer("protocol", supportedProtocolVersion)
            switch outcome {
            case .result(let json): members.raw("task_data", json)
            case .error(let message): members.string("task_error", message)
            }
            members.string("task_id", taskID)
        }
        return writer.bytes
    }
}
