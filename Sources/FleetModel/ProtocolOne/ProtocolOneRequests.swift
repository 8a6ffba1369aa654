import Foundation
import JSON
import JSONSchema

/// A protocol-1 request body that broke the rules: the HTTP layer answers 400 with these details.
public struct InvalidRequest: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let violations: [ValidationError]

    public init(_ message: String, violations: [ValidationError] = []) {
        self.message = message
        self.violations = violations
    }

    public var description: String {
        violations.isEmpty ? message : message + ": " + violations.map(\.description).joined(separator: "; ")
    }
}

/// The only protocol version this AFM speaks on the protocol-1 routes.
public let supportedProtocolVersion: Int64 = 1

/// `POST /tasks`.
public struct PollRequest: Sendable, Equatable {
    public let poll: AgentPoll
    public let agentTime: String

    public init(json body: JSONValue) throws(InvalidRequest) {
        try validate(body, against: ProtocolOneSchemas.poll)
        let members = body.objectValue!
        try requireSupportedProtocol(members)
        try requireStorableText(body)
        var capabilities: [Capability] = []
        for (type, details) in members["agent_capabilities"]!.objectValue! {
            guard let version = details["version"]?.numberValue?.int64Value else {
                throw InvalidRequest("capability '\(type)' has a version that is not a 64-bit integer")
            }
            capabilities.append(Capability(type: type, version: version))
        }
        let location = members["agent_location"].map { location in
            AgentLocation(
                country: location["country"]!.stringValue!,
                region: location["region"]!.stringValue!,
                latitude: location["latitude"]?.numberValue?.doubleValue,
                longitude: location["longitude"]?.numberValue?.doubleValue)
        }
        let maxTasks = members["max_tasks"]!.numberValue!.int64Value ?? 0
        poll = AgentPoll(
            agentID: UUID(canonicalText: members["agent_id"]!.stringValue!)!,
            name: members["agent_name"]!.stringValue!,
            capabilities: capabilities,
            // A negative count asks for nothing; a huge one is bounded by what is waiting.
            maxTasks: Int(clamping: max(0, min(maxTasks, 10_000))),
            location: location)
        agentTime = members["agent_time"]!.stringValue!
    }
}

/// `POST /tasks/response`.
public struct TaskResultRequest: Sendable, Equatable {
    public let taskID: UUID
    public let outcome: TaskOutcome

    public init(json body: JSONValue) throws(InvalidRequest) {
        try validate(body, against: ProtocolOneSchemas.taskResponse)
        let members = body.objectValue!
        try requireSupportedProtocol(members)
        try requireStorableText(body, documents: ["task_data"])
        taskID = UUID(canonicalText: members["task_id"]!.stringValue!)!
        if let result = members["task_data"] {
            outcome = .result(json: JSONWriter.string(from: result))
        } else {
            outcome = .error(members["task_error"]!.stringValue!)
        }
    }
}

/// `POST /task`.
public struct CreateTaskRequest: Sendable, Equatable {
    public let task: NewTask

    public init(json body: JSONValue) throws(InvalidRequest) {
        try validate(body, against: ProtocolOneSchemas.createTask)
        try requireStorableText(body, documents: ["task_data"])
        let members = body.objectValue!
        guard let version = members["task_version"]!.numberValue!.int64Value else {
            throw InvalidRequest("task_version is not a 64-bit integer")
        }
        task = NewTask(
            id: UUID(canonicalText: members["task_id"]!.stringValue!)!,
            testID: UUID(canonicalText: members["test_id"]!.stringValue!)!,
            type: members["task_type"]!.stringValue!,
            version: version,
            dataJSON: members["task_data"].map { JSONWriter.string(from: $0) })
    }
}

private func validate(_ body: JSONValue, against schema: JSONSchema) throws(InvalidRequest) {
    // The verdict alone is cheaper; messages are only built for a body that fails.
    guard !schema.isValid(body) else { return }
    throw InvalidRequest("request body does not match the protocol-1 schema", violations: schema.validate(body))
}

/// Refuses a body with a NUL character in any text kept in a column (`documents` are kept as JSON text).
private func requireStorableText(_ body: JSONValue, documents: Set<String> = []) throws(InvalidRequest) {
    if let field = TextField.firstUnstorable(in: body, documents: documents) {
        throw InvalidRequest(TextField.unstorableMessage(field))
    }
}

private func requireSupportedProtocol(_ members: [String: JSONValue]) throws(InvalidRequest) {
    let version = members["protocol"]?.numberValue
    guard version == .integer(supportedProtocolVersion) else {
        throw InvalidRequest("unsupported protocol \(version.map { "\($0)" } ?? "?"); this AFM speaks protocol 1")
    }
}
