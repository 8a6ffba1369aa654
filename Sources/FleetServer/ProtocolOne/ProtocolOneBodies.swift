import FleetModel
import FleetWire
import Foundation
import JSON

/// The protocol-1 wire bodies mapped to the domain and back, with the rule the wire does not know: text kept in a
/// column may not hold the NUL character.
enum ProtocolOneBodies {
    static func poll(_ body: JSONValue) throws(InvalidRequest) -> AgentPoll {
        let wire = try PollBody(json: body)
        try requireStorableText(body)
        return AgentPoll(
            agentID: wire.agentID, name: wire.agentName,
            capabilities: wire.capabilities.map { Capability(type: $0.type, version: $0.version) },
            // A negative count asks for nothing; a huge one is bounded by what is waiting.
            maxTasks: Int(clamping: max(0, min(wire.maxTasks, 10_000))),
            location: wire.location.map { AgentLocation(country: $0.country, region: $0.region, latitude: $0.latitude, longitude: $0.longitude) })
    }

    static func outcome(_ body: JSONValue) throws(InvalidRequest) -> (taskID: UUID, outcome: TaskOutcome) {
        let wire = try TaskResponseBody(json: body)
        try requireStorableText(body, documents: ["task_data"])
        let outcome: TaskOutcome = switch wire.outcome {
        case .result(let json): .result(json: json)
        case .error(let message): .error(message)
        }
        // The schema admits canonical UUID text only.
        return (UUID(canonicalText: wire.taskID)!, outcome)
    }

    /// A task without a time to live of its own: the fleet's default applies.
    static func task(_ body: JSONValue) throws(InvalidRequest) -> NewTask {
        let wire = try CreateTaskBody(json: body)
        try requireStorableText(body, documents: ["task_data"])
        return NewTask(
            id: wire.taskID, testID: wire.testID, type: wire.type, version: wire.version, dataJSON: wire.dataJSON, ttlGiven: false)
    }

    static func pollAnswer(tasks: [ClaimedTask], returnTime: Timestamp) -> [UInt8] {
        PollAnswerBody(
            returnTime: returnTime.iso8601Text,
            tasks: tasks.map {
                PollAnswerBody.AssignedTask(taskID: $0.id.canonical, type: $0.type, version: $0.version, dataJSON: $0.dataJSON ?? "{}")
            }
        ).encoded()
    }

    /// Refuses a body with a NUL character in any text kept in a column (`documents` are kept as JSON text).
    private static func requireStorableText(_ body: JSONValue, documents: Set<String> = []) throws(InvalidRequest) {
        if let field = TextField.firstUnstorable(in: body, documents: documents) {
            throw InvalidRequest(TextField.unstorableMessage(field))
        }
    }
}
