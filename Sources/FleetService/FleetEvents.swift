/// What happened to tasks and the fleet, for metrics: the domain reports, `FleetMetrics` counts.
public protocol FleetEvents: Sendable {
    func tasks(_ event: TaskEvent, count: Int)
    /// Tasks handed out by one poll (0 included).
    func claimed(batchSize: Int)
    func fleet(activeAgents: Int, waitingTasks: Int)
    /// A task was claimed this long after it was created.
    func claimed(afterWaiting seconds: Double)
    /// Polls held open now.
    func heldPolls(_ count: Int)
    /// A schedule's slot got its tasks this long after its slot time.
    func slotCreated(lagSeconds: Double)
    /// Slots of a schedule recorded as missed: too old for a task when a pass came to them.
    func slotsMissed(_ count: Int)
}

/// What happened to a task, as `/metrics` labels it.
public enum TaskEvent: String, Sendable, CaseIterable {
    case created, claimed, completed, failed, expired, cancelled, lost
    case handedBack = "handed_back"
}

extension FleetEvents {
    func task(_ event: TaskEvent) { tasks(event, count: 1) }
}

/// Reports nowhere: for tools and tests that do not count.
public struct UncountedEvents: FleetEvents {
    public init() {}
    public func tasks(_ event: TaskEvent, count: Int) {}
    public func claimed(batchSize: Int) {}
    public func fleet(activeAgents: Int, waitingTasks: Int) {}
    public func claimed(afterWaiting seconds: Double) {}
    public func heldPolls(_ count: Int) {}
    public func slotCreated(lagSeconds: Double) {}
    public func slotsMissed(_ count: Int) {}
}
