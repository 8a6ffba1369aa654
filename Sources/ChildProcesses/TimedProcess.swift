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

    private enum Event: Sendable {
        case ended(ChildExit?)
        case timeUp
    }

    /// Throws only when the process cannot be started.
    public static func run(_ process: Process, timeout: Duration) async throws -> Status {
        try process.run()
        let pid = process.processIdentifier
        return await withTaskGroup(of: Event.self) { group in
            group.addTask { .ended(await ChildExit.ended(pid: pid)) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timeUp
            }
            if case .ended(let exit) = await group.next()! {
                group.cancelAll()
                return status(exit, of: process)
            }
            // The time is up, or the caller was cancelled: SIGTERM, then SIGKILL a second later.
            kill(pid, SIGTERM)
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
                return .timeUp
            }
            if case .timeUp = await group.next()! {
                kill(pid, SIGKILL)
                _ = await group.next()
            } else {
                group.cancelAll()
            }
            return Task.isCancelled ? .cancelled : .timedOut
        }
    }

    private static func status(_ exit: ChildExit?, of process: Process) -> Status {
        switch exit {
        case .exited(let code)?: return .exited(code)
        case .signalled(let signal)?: return .signalled(signal)
        case nil:
            // Foundation reaped it before the wait began: its own record is complete once it says so.
            while process.isRunning { usleep(1_000) }
            return process.terminationReason == .uncaughtSignal ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
        }
    }
}
