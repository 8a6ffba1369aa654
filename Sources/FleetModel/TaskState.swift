/// Where a task is in its life. `completed`, `failed`, `expired` and `cancelled` are final; protocol 1 shows the
/// last two as failed, with the error `expired` or `cancelled`.
public enum TaskState: String, Sendable, CaseIterable {
    /// Created by the BPMS, not yet handed to an agent.
    case waiting
    /// Handed to an agent, no outcome yet.
    case claimed
    /// The agent posted a result.
    case completed
    /// The agent posted an error, or the agent was lost too many times.
    case failed
    /// Not claimed before its time to live ran out.
    case expired
    /// Cancelled by the BPMS before it finished.
    case cancelled

    public var isFinal: Bool { self != .waiting && self != .claimed }
}
