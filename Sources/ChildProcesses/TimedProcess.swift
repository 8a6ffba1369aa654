import Foundation

/// Runs a configured `Process` to its end or a time limit, whichever comes first. A process still running at the
/// limit (or when the calling task is cancelled) gets SIGTERM, then SIGKILL a second later.
public enum TimedProcess {
    public enum Status: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case cancelled
    }

    /// Throws only when the process cannot be started.
    public static func run(_ process: Process, timeout: Duration) async throws -> Status {
        let finished = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in finished.continuation.finish() }
        try process.run()
        let completed = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in finished.stream {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        if !completed || Task.isCancelled {
            process.terminate()
            try? await Task.sleep(for: .seconds(1))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            for await _ in finished.stream {}
            return Task.isCancelled ? .cancelled : .timedOut
        }
        return process.terminationReason == .uncaughtSignal ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
    }
}
