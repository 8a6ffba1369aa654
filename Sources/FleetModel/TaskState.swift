/// Where a task is in its life. `completed` and `failed` are final.
public enum TaskState: String, Sendable, CaseIterable {
    /// Created by the BPMS, not yet handed to an agent.
    case waiting
    /// Handed to an agent, no outcome yet.
    case claimed
    /// The agent posted a result.
    case completed
    /// The agent posted an error.
    case failed

    public var isFinal: Bool { self == .completed || self == .failed }
}
