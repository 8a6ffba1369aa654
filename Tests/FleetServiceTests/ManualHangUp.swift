import FleetService
import Synchronization

/// A hang-up the test fires itself, where the server would fire it when the agent's connection closes (a domain test
/// has no connection).
final class ManualHangUp: HangUp {
    private let action = Mutex<(hungUp: Bool, action: (@Sendable () -> Void)?)>((false, nil))

    func whenHungUp(_ action: @escaping @Sendable () -> Void) {
        let already = self.action.withLock { state in
            if !state.hungUp { state.action = action }
            return state.hungUp
        }
        if already { action() }
    }

    func forget() {
        action.withLock { $0.action = nil }
    }

    func hangUp() {
        action.withLock { state in
            state.hungUp = true
            return state.action.take()
        }?()
    }
}
