import FleetModel
import JSON

/// Every task counted by its state; `oldestWaiting` is when the oldest waiting task was created.
public struct TaskCounts: Sendable, Equatable {
    public var byState: [TaskState: Int]
    public var oldestWaiting: Timestamp?

    public init(byState: [TaskState: Int] = [:], oldestWaiting: Timestamp? = nil) {
        self.byState = byState
        self.oldestWaiting = oldestWaiting
    }

    public subscript(state: TaskState) -> Int { byState[state] ?? 0 }
}

/// How many agents are known, and how many of those are active.
public struct AgentCounts: Sendable, Equatable {
    public let known: Int
    public let active: Int

    public init(known: Int, active: Int) {
        self.known = known
        self.active = active
    }

    public var lost: Int { known - active }
}

/// What some active agents can run, and where they are (nil: they reported no location).
public struct AgentKind: Sendable, Equatable {
    public let capabilities: [Capability]
    public let location: AgentLocation?

    public init(capabilities: [Capability], location: AgentLocation?) {
        self.capabilities = capabilities
        self.location = location
    }
}
