import FleetModel
import Foundation
import JSON

/// An agent as one of its polls described it, and when.
public struct AgentSighting: Sendable, Equatable {
    public let agentID: UUID
    public let name: String
    public let capabilities: [Capability]
    public let location: AgentLocation?
    public let lastSeen: Timestamp

    public init(_ poll: AgentPoll, at lastSeen: Timestamp) {
        agentID = poll.agentID
        name = poll.name
        capabilities = poll.capabilities
        location = poll.location
        self.lastSeen = lastSeen
    }

    /// Whether `poll` describes the agent as this sighting does (its time aside).
    public func describes(_ poll: AgentPoll) -> Bool {
        agentID == poll.agentID && name == poll.name && capabilities == poll.capabilities && location == poll.location
    }
}
