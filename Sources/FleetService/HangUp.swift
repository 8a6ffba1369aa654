import Synchronization

/// Tells a held poll that its agent has gone (its connection closed, or it will send nothing more), so that the poll
/// ends without claiming for it. The HTTP layer keeps one per connection.
public final class HangUp: Sendable {
    private let state = Mutex<(hungUp: Bool, action: (@Sendable () -> Void)?)>((false, nil))

    public init() {}

    /// Calls `action` once when the agent hangs up, at once if it already has; replaces an earlier action.
    public func whenHungUp(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLock { state in
            if !state.hungUp { state.action = action }
            return state.hungUp
        }
        if already { action() }
    }

    /// Drops the action: the poll is answered.
    public func forget() {
        state.withLock { $0.action = nil }
    }

    /// The agent has gone: runs the action set, once.
    public func hangUp() {
        let action = state.withLock { state in
            state.hungUp = true
            defer { state.action = nil }
            return state.action
        }
        action?()
    }
}
