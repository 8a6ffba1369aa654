import Synchronization

/// The hang-up of one connection: `HTTP1RequestHandler` keeps one per connection and fires it when the client closes
/// the connection or half-closes it, so that a request answered later (a held poll) ends without answering nobody.
public final class ConnectionHangUp: Sendable {
    private let state = Mutex<(hungUp: Bool, action: (@Sendable () -> Void)?)>((false, nil))

    public init() {}

    /// Calls `action` once when the client hangs up, at once if it already has; replaces an earlier action.
    public func whenHungUp(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLock { state in
            if !state.hungUp { state.action = action }
            return state.hungUp
        }
        if already { action() }
    }

    /// Drops the action: the request is answered.
    public func forget() {
        state.withLock { $0.action = nil }
    }

    /// The client has gone: runs the action set, once.
    public func hangUp() {
        let action = state.withLock { state in
            state.hungUp = true
            defer { state.action = nil }
            return state.action
        }
        action?()
    }
}
