import Synchronization

/// How many executors are running a task, shared by the poll loop and the task executions; the runner waits on it,
/// without polling, for the last task to end.
final class BusyExecutors: Sendable {
    private let value = Mutex(0)
    /// Each new count, newest only: the runner's one waiter reads it.
    private let changes = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))

    var count: Int { value.withLock { $0 } }

    func add(_ delta: Int) {
        let count = value.withLock { value in
            value += delta
            return value
        }
        changes.continuation.yield(count)
    }

    /// Returns when no task runs, or when the calling task is cancelled. One waiter at a time.
    func idle() async {
        if count == 0 { return }
        for await count in changes.stream where count == 0 { return }
    }
}
