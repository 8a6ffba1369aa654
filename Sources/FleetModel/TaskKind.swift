/// What a task is for waking held polls: its capability and the places it may run in.
public struct TaskKind: Sendable, Hashable {
    public let capability: Capability
    /// Empty for anywhere.
    public let locations: [LocationCode]

    public init(capability: Capability, locations: [LocationCode] = []) {
        self.capability = capability
        self.locations = locations
    }

    /// Whether an agent at `location` may claim such a task.
    public func admits(_ location: AgentLocation?) -> Bool {
        guard !locations.isEmpty else { return true }
        guard let location else { return false }
        return locations.contains { $0.contains(location) }
    }
}

extension NewTask {
    /// What the task is for waking held polls.
    public var kind: TaskKind {
        TaskKind(capability: Capability(type: type, version: version), locations: locations)
    }
}
