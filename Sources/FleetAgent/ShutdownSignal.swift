import Dispatch
import Foundation
import Synchronization

/// SIGTERM and SIGINT as a shutdown request: the first asks the agent to stop gracefully, a second one exits at
/// once (results already in the outbox stay there for the next start).
public final class ShutdownSignal: Sendable {
    private struct State {
        var requested = false
        var installed = false
        var signals = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they registered their continuation.
        var cancelled: Set<UInt64> = []

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            let all = Array(waiters.values)
            waiters = [:]
            return all
        }
    }

    private let state = Mutex(State())
    // Created in init and never reassigned; a dispatch source may be resumed from any thread.
    nonisolated(unsafe) private let sources: [DispatchSourceSignal]
    private let onSecondSignal: @Sendable () -> Void

    public init(onSecondSignal: @escaping @Sendable () -> Void) {
        self.onSecondSignal = onSecondSignal
        sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
    }

    /// Takes SIGTERM and SIGINT away from their default action and watches them.
    public func install() {
        guard state.withLock({ state in
            defer { state.installed = true }
            return !state.installed
        }) else { return }
        for source in sources {
            signal(Int32(source.handle), SIG_IGN)
            source.setEventHandler { [weak self] in self?.received() }
            source.resume()
        }
    }

    deinit {
        // Dispatch refuses to release a source that was never resumed.
        let installed = state.withLock { $0.installed }
        for source in sources {
            if !installed { source.resume() }
            source.cancel()
        }
    }

    private func received() {
        let (first, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            state.signals += 1
            state.requested = true
            return (state.signals == 1, state.takeWaiters())
        }
        if first {
            for waiter in waiters { waiter.resume() }
        } else {
            onSecondSignal()
        }
    }

    /// Asks for a graceful stop, as the first signal does.
    public func request() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.requested = true
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    public var isRequested: Bool { state.withLock { $0.requested } }

    /// Returns when a stop is requested, or when the calling task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.requested || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }

    /// Runs `operation` unless a stop is requested first, in which case the operation is cancelled and the answer
    /// is nil.
    public func unlessRequested<Value: Sendable>(_ operation: @escaping @Sendable () async -> Value) async -> Value? {
        if isRequested { return nil }
        return await withTaskGroup(of: Value?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                await self.wait()
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// Sleeps for `duration`, or less when a stop is requested meanwhile. Answers whether the full time passed.
    @discardableResult
    public func sleep(for duration: Duration) async -> Bool {
        await unlessRequested { (try? await Task.sleep(for: duration)) != nil } ?? false
    }
}
