import Foundation

/// How a child process ended, as the kernel tells it.
///
/// Foundation learns of a child's end (`terminationHandler`, `waitUntilExit()`) when a socket the child inherited is
/// closed; a second child spawned at the same moment from another thread can inherit that socket too, and then the
/// first one's end goes unnoticed for as long as the second runs (seen in the tests' own child processes on a loaded
/// machine, not reproduced on demand). Here a thread of its own waits for exactly that child.
public enum ChildExit: Sendable, Equatable {
    case exited(Int32)
    case signalled(Int32)

    /// Blocks the calling thread until the child `pid` has ended; nil when it is not (or no longer) a child to wait
    /// for. WNOWAIT leaves the child for Foundation to reap, so its `Process` stays consistent.
    public static func wait(for pid: Int32) -> ChildExit? {
        var info = siginfo_t()
        while true {
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0 {
                let status = info._sifields._sigchld.si_status
                return info.si_code == Int32(CLD_EXITED) ? .exited(status) : .signalled(status)
            }
            if errno != EINTR { return nil }
        }
    }

    /// Suspends until the child `pid` has ended, waiting on a thread of its own (never one of the cooperative pool,
    /// which has as many threads as cores); nil as `wait(for:)`.
    public static func ended(pid: Int32) async -> ChildExit? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: wait(for: pid)) }
        }
    }
}
