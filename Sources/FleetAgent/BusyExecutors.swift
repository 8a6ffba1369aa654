import Synchronization

/// How many executors are running a task, shared by the poll loop and the task executions; the runner waits on it,
/// without polling, for an executor to come free or the last task to end.
final class BusyExecutors: Sendable {
    private struct Waiter {
        let limit: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var count = 0
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.count } }

    func add(_ delta: Int) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += delta
            let count = state.count
            let ready = state.waiters.filter { count < $0.value.limit }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns when fewer than `limit` tasks run, or when the calling task is cancelled.
    func fewer(than limit: Int) async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.count < limit || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(limit: limit, continuation: continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    /// Returns when fewer than `limit` tasks run, after `timeout` at the latest, or when the calling task is
    /// cancelled.
    func fewer(than limit: Int, within timeout: Duration) async {
        await withTaskGroup(of: Void.self) { race in
            race.addTask { await self.fewer(than: limit) }
            race.addTask { try? await Task.sleep(for: timeout) }
            await race.next()
            race.cancelAll()
        }
    }

    /// Returns when no task runs, or when the calling task is cancelled.
    func idle() async {
        await fewer(than: 1)
    }
}
