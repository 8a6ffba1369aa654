import DequeModule
import Synchronization

/// Keeps the statements of the store's one connection out of a transaction another caller has open on it: every
/// statement passes the gate shared, a transaction holds it alone. Without it, a request's write issued while a
/// counting pass had `BEGIN` open would run inside that transaction and be answered before its commit.
///
/// Waits are as long as one transaction, which holds a few statements; a waiter is never cancelled midway, so the
/// gate cannot be left held.
final class StatementGate: Sendable {
    private struct State {
        var shared = 0
        var exclusive = false
        var waitingShared: [CheckedContinuation<Void, Never>] = []
        var waitingExclusive = Deque<CheckedContinuation<Void, Never>>()
    }

    private let state = Mutex(State())

    func withShared<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await enterShared()
        defer { leaveShared() }
        return try await body()
    }

    func withExclusive<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await enterExclusive()
        defer { leaveExclusive() }
        return try await body()
    }

    private func enterShared() async {
        let entered = state.withLock { state in
            // A waiting transaction goes first, so a stream of statements cannot keep it out.
            guard !state.exclusive && state.waitingExclusive.isEmpty else { return false }
            state.shared += 1
            return true
        }
        if entered { return }
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state in
                if !state.exclusive && state.waitingExclusive.isEmpty {
                    state.shared += 1
                    return true
                }
                state.waitingShared.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leaveShared() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.shared -= 1
            guard state.shared == 0, let next = state.waitingExclusive.popFirst() else { return nil }
            state.exclusive = true
            return next
        }
        next?.resume()
    }

    private func enterExclusive() async {
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state in
                if !state.exclusive && state.shared == 0 {
                    state.exclusive = true
                    return true
                }
                state.waitingExclusive.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leaveExclusive() {
        let (exclusive, shared) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            if let next = state.waitingExclusive.popFirst() { return (next, []) }
            state.exclusive = false
            let admitted = state.waitingShared
            state.waitingShared = []
            state.shared += admitted.count
            return (nil, admitted)
        }
        if let exclusive {
            exclusive.resume()
        } else {
            for waiter in shared { waiter.resume() }
        }
    }
}
