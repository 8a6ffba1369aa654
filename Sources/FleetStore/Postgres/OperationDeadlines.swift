import EventLoopExecutor
import Synchronization

/// Bounds database operations in time with one watchdog for all of them: an operation registers how to cancel
/// itself, and a single loop cancels those past their deadline. A timer per operation (a sleeping child task) cost
/// about a tenth of `afm`'s CPU on the poll path.
///
/// While PostgreSQL is unreachable the driver's pool keeps a waiting request waiting; cancelling it ends the wait.
final class OperationDeadlines: Sendable {
    private struct Pending {
        let deadline: ContinuousClock.Instant
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var nextID = 0
        var pending: [Int: Pending] = [:]
        var timedOut: Set<Int> = []
    }

    private let state = Mutex(State())
    /// How often the watchdog looks; an operation fails at most this long after its deadline.
    let resolution: Duration

    init(resolution: Duration = .milliseconds(250)) {
        self.resolution = resolution
    }

    /// Runs `body` as its own task, cancelled once `timeout` has passed; `onTimeout` makes the error thrown then. The
    /// task runs on the caller's preferred executor, if it named one (a request's task, on its connection's loop).
    func run<Result: Sendable>(
        timeout: Duration, onTimeout: @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let task = Task(executorPreference: PreferredExecutor.current) { try await body() }
        let id = state.withLock { state in
            defer { state.nextID &+= 1 }
            state.pending[state.nextID] = Pending(deadline: .now + timeout, cancel: { task.cancel() })
            return state.nextID
        }
        let outcome = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        let timedOut = state.withLock { state in
            state.pending[id] = nil
            return state.timedOut.remove(id) != nil
        }
        switch outcome {
        case .success(let value):
            // Finished after all (a write may have committed): its answer stands.
            return value
        case .failure(let error):
            throw timedOut ? onTimeout() : error
        }
    }

    /// Cancels overdue operations until the calling task is cancelled.
    func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: resolution)
            let now = ContinuousClock.now
            let overdue = state.withLock { state in
                let overdue = state.pending.filter { $0.value.deadline <= now }
                for id in overdue.keys {
                    state.pending[id] = nil
                    state.timedOut.insert(id)
                }
                return overdue.values.map(\.cancel)
            }
            for cancel in overdue { cancel() }
        }
    }
}
