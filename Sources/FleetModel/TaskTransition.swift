/// Every way a task moves from one state to another: the lifecycle, declared once. A task is created `waiting`;
/// nothing else changes its state, and a final state is never left. Both storage engines are held to this table by
/// the store contract tests, operation by operation from every state.
public enum TaskTransition: String, Sendable, CaseIterable {
    /// An agent's poll takes the task.
    case claim
    /// Its agent posts a result.
    case complete
    /// Its agent posts an error.
    case fail
    /// The BPMS cancels it before it finished.
    case cancel
    /// The sweep finds it unclaimed past its time to live.
    case expire
    /// The sweep takes it back from a lost agent, or from a run past its bound, to be handed out again.
    case handBack
    /// The sweep fails it (`agent lost`, `run timed out`): it was handed out as often as allowed.
    case giveUp

    /// The states the transition leaves; from any other, the operation changes nothing.
    public var from: Set<TaskState> {
        switch self {
        case .claim, .expire: [.waiting]
        case .complete, .fail, .handBack, .giveUp: [.claimed]
        case .cancel: [.waiting, .claimed]
        }
    }

    /// The state it reaches.
    public var to: TaskState {
        switch self {
        case .claim: .claimed
        case .complete: .completed
        case .fail, .giveUp: .failed
        case .cancel: .cancelled
        case .expire: .expired
        case .handBack: .waiting
        }
    }

    /// The state a task in `state` is in after this transition is attempted.
    public func outcome(from state: TaskState) -> TaskState {
        from.contains(state) ? to : state
    }
}
