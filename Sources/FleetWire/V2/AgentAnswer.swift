import Foundation
import JSON

/// An agent as `GET /v2/agents` and `GET /v2/agents/{agent_id}` answer it.
public struct AgentAnswer: Sendable, Equatable {
    public let agentID: UUID
    public let name: String
    public let lastSeen: Timestamp
    /// Seen within the active threshold: `active`; otherwise `lost`.
    public let active: Bool
    public let capabilities: [WireCapability]
    public let tasksInHand: [UUID]
    public let location: WireLocation?

    public init(
        agentID: UUID, name: String, lastSeen: Timestamp, active: Bool, capabilities: [WireCapability], tasksInHand: [UUID],
        location: WireLocation?
    ) {
        self.agentID = agentID
        self.name = name
        self.lastSeen = lastSeen
        self.active = active
        self.capabilities = capabilities
        self.tasksInHand = tasksInHand
        self.location = location
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "agent_id": .string(agentID.canonical), "agent_name": .string(name), "last_seen": .string(lastSeen.iso8601Text),
            "state": active ? "active" : "lost", "capabilities": .array(capabilities.map(\.json)),
            "tasks_in_hand": .array(tasksInHand.map { .string($0.canonical) }),
        ]
        if let location {
            var place: [String: JSONValue] = ["country": .string(location.country), "region": .string(location.region)]
            place["latitude"] = location.latitude.map { .number(.double($0)) }
            place["longitude"] = location.longitude.map { .number(.double($0)) }
            members["location"] = .object(place)
        }
        return .object(members)
    }
}
