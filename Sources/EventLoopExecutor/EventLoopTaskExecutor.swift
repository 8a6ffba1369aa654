import NIOCore

/// Runs tasks that prefer it on one NIO event loop.
///
/// A task that mostly waits for I/O on one connection (a request afm answers, a client afm-bench simulates) resumes
/// on that connection's event loop: running it on the same thread saves two thread wake-ups per request (to a
/// thread of the global pool and back), which for small requests is most of their cost.
public final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
