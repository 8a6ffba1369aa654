import NIOCore

/// Runs tasks that prefer it on one NIO event loop.
///
/// A request is read on its connection's event loop and its answer written there; answering it on the same thread
/// saves two thread wake-ups per request (to a thread of the global pool and back), which for polls answered from
/// memory is most of their cost.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
