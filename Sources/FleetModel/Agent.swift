import Foundation
import JSON

/// A task type and version an agent can run.
public struct Capability: Sendable, Hashable, Comparable {
    public let type: String
    public let version: Int64

    public init(type: String, version: Int64) {
        self.type = type
        self.version = version
    }

    public static func < (lhs: Capability, rhs: Capability) -> Bool {
        (lhs.type, lhs.version) < (rhs.type, rhs.version)
    }
}

/// Where an agent says it runs.
public struct AgentLocation: Sendable, Equatable {
    public let country: String
    public let region: String
    public let latitude: Double?
    public let longitude: Double?

    public init(country: String, region: String, latitude: Double?, longitude: Double?) {
        self.country = country
        self.region = region
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// One poll of an agent: who it is, what it can run, and how many tasks it can take now.
public struct AgentPoll: Sendable, Equatable {
    public let agentID: UUID
    public let name: String
    public let capabilities: [Capability]
    public let maxTasks: Int
    public let location: AgentLocation?

    public init(agentID: UUID, name: String, capabilities: [Capability], maxTasks: Int, location: AgentLocation?) {
        self.agentID = agentID
        self.name = name
        // Sorted and unique so that an unchanged set is recognised and stored the same way.
        self.capabilities = Array(Set(capabilities)).sorted()
        self.maxTasks = maxTasks
        self.location = location
    }
}

/// An agent as the dashboard shows it, with the tasks it holds or has run.
public struct AgentSummary: Sendable, Equatable {
    public let id: UUID
    public let name: String
    public let lastSeen: Timestamp
    public let capabilities: [Capability]
    public let tasks: [TaskRecord]

    public init(id: UUID, name: String, lastSeen: Timestamp, capabilities: [Capability], tasks: [TaskRecord]) {
        self.id = id
        self.name = name
        self.lastSeen = lastSeen
        self.capabilities = capabilities
        self.tasks = tasks
    }
}

/// The fleet at a glance, for `GET /status`.
public struct FleetStatus: Sendable, Equatable {
    public let activeAgents: Int
    public let waitingTasks: Int

    public init(activeAgents: Int, waitingTasks: Int) {
        self.activeAgents = activeAgents
        self.waitingTasks = waitingTasks
    }
}

/// What the dashboard shows: tasks no agent holds yet, and every agent with its tasks.
public struct DashboardSnapshot: Sendable, Equatable {
    public let unassignedTasks: [TaskRecord]
    public let agents: [AgentSummary]

    public init(unassignedTasks: [TaskRecord], agents: [AgentSummary]) {
        self.unassignedTasks = unassignedTasks
        self.agents = agents
    }
}
