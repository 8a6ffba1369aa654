import EventLoopExecutor
import FleetStore
import Synchronization

/// Bounds database operations in time with one watchdog for all of them: an operation registers how to cancel
/// itself, and a single loop cancels those past their deadline. A timer per operation (a sleeping child task) cost
/// about a tenth of `afm`'s CPU on the poll path.
///
/// While PostgreSQL is unreachable the driver's pool keeps a waiting request waiting; cancelling it ends the wait.
/// Not every wait of the driver ends when cancelled (a statement's answer on a connection is awaited as a future,
/// which may never be fulfilled after the server went away): an operation still running one more timeout after its
/// cancel is abandoned, its caller answered with the timeout, so that one stuck statement cannot hold its caller, and
/// every request queued behind it, for good. Until then an answer that comes late still stands (a slow migration
/// waiting for another process's lock, say).
final class OperationDeadlines: Sendable {
    private struct Pending {
        /// When the watchdog acts next: cancels the operation, then, if it is still running, abandons it.
        var deadline: ContinuousClock.Instant
        let timeout: Duration
        var cancelled = false
        let cancel: @Sendable () -> Void
        let abandon: @Sendable () -> Void
    }

    private struct State {
        var nextID = 0
        var pending: [Int: Pending] = [:]
        var timedOut: Set<Int> = []
    }

    private let state = Mutex(State())
    /// How often the watchdog looks; an operation is cancelled at most this long after its deadline.
    let resolution: Duration

    init(resolution: Duration = .milliseconds(250)) {
        self.resolution = resolution
    }

    /// Runs `body` as its own task, cancelled once `timeout` has passed; `onTimeout` makes the error thrown then. The
    /// task runs on the caller's preferred executor, if it named one (a request's task, on its connection's loop).
    func run<Result: Sendable>(
        timeout: Duration, onTimeout: @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let outcome = OperationOutcome<Result>()
        let task = Task(executorPreference: PreferredExecutor.current) {
            do {
                outcome.finish(.success(try await body()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        let id = state.withLock { state in
            defer { state.nextID &+= 1 }
            state.pending[state.nextID] = Pending(
                deadline: .now + timeout, timeout: timeout, cancel: { task.cancel() },
                abandon: { outcome.finish(.failure(CancellationError())) })
            return state.nextID
        }
        let result = await withTaskCancellationHandler {
            await outcome.value()
        } onCancel: {
            task.cancel()
        }
        let timedOut = state.withLock { state in
            state.pending[id] = nil
            return state.timedOut.remove(id) != nil
        }
        switch result {
        case .success(let value):
            // Finished after all (a write may have committed): its answer stands.
            return value
        case .failure(let error):
            throw timedOut ? onTimeout() : error
        }
    }

    /// Cancels overdue operations, and abandons those that go on regardless, until the calling task is cancelled.
    func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: resolution)
            let now = ContinuousClock.now
            let actions = state.withLock { state in
                var actions: [@Sendable () -> Void] = []
                for (id, pending) in state.pending where pending.deadline <= now {
                    if pending.cancelled {
                        state.pending[id] = nil
                        actions.append(pending.abandon)
                    } else {
                        state.pending[id]?.cancelled = true
                        state.pending[id]?.deadline = now + pending.timeout
                        state.timedOut.insert(id)
                        actions.append(pending.cancel)
                    }
                }
                return actions
            }
            for action in actions { action() }
        }
    }
}

/// The result of one operation, delivered once to the one caller waiting for it: by the operation when it ends, or
/// by the watchdog when it abandons the operation, whichever comes first.
private final class OperationOutcome<Value: Sendable>: Sendable {
    private enum State {
        case running
        case awaited(CheckedContinuation<Result<Value, any Error>, Never>)
        case finished(Result<Value, any Error>)
        case delivered
    }

    private let state = Mutex(State.running)

    func finish(_ result: Result<Value, any Error>) {
        let waiting: CheckedContinuation<Result<Value, any Error>, Never>? = state.withLock { state in
            switch state {
            case .running:
                state = .finished(result)
                return nil
            case .awaited(let continuation):
                state = .delivered
                return continuation
            case .finished, .delivered:
                return nil
            }
        }
        waiting?.resume(returning: result)
    }

    func value() async -> Result<Value, any Error> {
        await withCheckedContinuation { continuation in
            let ready: Result<Value, any Error>? = state.withLock { state in
                guard case .finished(let result) = state else {
                    state = .awaited(continuation)
                    return nil
                }
                state = .delivered
                return result
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
