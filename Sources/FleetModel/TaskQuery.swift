import Foundation
import JSON

/// Which tasks a listing returns: every given filter must hold. Ordered by creation, one page at a time.
public struct TaskQuery: Sendable, Equatable {
    public var state: TaskState?
    public var type: String?
    public var version: Int64?
    public var testID: UUID?
    public var agentID: UUID?
    public var createdAfter: Timestamp?
    public var createdBefore: Timestamp?
    /// Only tasks that name this location (a task for anywhere names none).
    public var location: LocationCode?
    /// Newest first rather than oldest first.
    public var newestFirst = false
    /// Only tasks beyond this position in the listing's order (the previous page's cursor).
    public var afterSequence: Int64?
    public var limit: Int

    public static let maximumLimit = 1000

    public init(limit: Int = 100) {
        self.limit = limit
    }
}

/// One page of a listing; `nextCursor` is nil on the last page.
public struct TaskPage: Sendable, Equatable {
    public let tasks: [TaskRecord]
    public let nextCursor: Int64?

    public init(tasks: [TaskRecord], nextCursor: Int64?) {
        self.tasks = tasks
        self.nextCursor = nextCursor
    }
}

/// An agent as the v2 API shows it.
public struct AgentRecord: Sendable, Equatable {
    public let id: UUID
    public let name: String
    public let lastSeen: Timestamp
    public let capabilities: [Capability]
    public let location: AgentLocation?
    /// Tasks the agent holds (claimed, no outcome yet).
    public let tasksInHand: [UUID]

    public init(id: UUID, name: String, lastSeen: Timestamp, capabilities: [Capability], location: AgentLocation?, tasksInHand: [UUID]) {
        self.id = id
        self.name = name
        self.lastSeen = lastSeen
        self.capabilities = capabilities
        self.location = location
        self.tasksInHand = tasksInHand
    }
}

/// What one sweep changed: tasks expired, handed back after their agent was lost, and failed as lost for good.
public struct SweepReport: Sendable, Equatable {
    public let expired: Int
    public let handedBack: Int
    public let lost: Int

    public init(expired: Int, handedBack: Int, lost: Int) {
        self.expired = expired
        self.handedBack = handedBack
        self.lost = lost
    }
}
