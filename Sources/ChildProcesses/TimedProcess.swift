import Foundation

/// Runs a configured `Process` to its end or a time limit, whichever comes first. A process still running at the
/// limit (or when the calling task is cancelled) gets SIGTERM, then SIGKILL a second later, and so does every
/// process it started; a child that ends in time may leave processes of its own running (a daemon it launched).
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
            // The time is up, or the caller was cancelled: SIGTERM, then SIGKILL a second later. The child leads a
            // process group of its own (Foundation starts it so), and the signals go to the whole group: what it
            // started must not outlive it, holding its pipes and running on unwatched.
            signal(SIGTERM, toGroupOf: pid)
            let graceEnds = ContinuousClock.now.advanced(by: .seconds(1))
            group.addTask {
                try? await Task.sleep(until: graceEnds)
                return .timeUp
            }
            if case .ended = await group.next()! {
                // The leader ended; the rest of its group gets the rest of the second.
                while kill(-pid, 0) == 0, ContinuousClock.now < graceEnds, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                group.cancelAll()
                // The group only: the leader's own id may already belong to another process.
                kill(-pid, SIGKILL)
            } else {
                signal(SIGKILL, toGroupOf: pid)
                _ = await group.next()
            }
            return Task.isCancelled ? .cancelled : .timedOut
        }
    }

    /// And the child itself, should it have left its group; only while it has not been reaped.
    private static func signal(_ number: Int32, toGroupOf pid: Int32) {
        kill(-pid, number)
        kill(pid, number)
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
