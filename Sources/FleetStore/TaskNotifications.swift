import FleetModel
import ServiceLifecycle

/// What may have become claimable, as word between `afm` processes sharing a store.
public enum TaskArrival: Sendable, Equatable {
    /// Tasks of this kind were created.
    case tasks(TaskKind, count: Int)
    /// Tasks of any kind may have become claimable: handed back by a sweep, or created while word could not be
    /// heard (listening was lost and has been restored).
    case unknown
}

/// Word between the `afm` processes that share a store that tasks became claimable, so that a poll held by one
/// process is woken by a task created through another.
///
/// Within one process, the domain wakes its own held polls directly; this only carries the word to the others. As
/// a `Service`, it listens for the others' word from `run()` on.
public protocol TaskNotifications: Service {
    /// Tells the other processes. Returns at once: the word is sent in the background, together with any that
    /// comes meanwhile, with a bounded backlog (past it, `unknown` is sent instead).
    func announce(_ arrival: TaskArrival)
    /// Sets what is called with each word heard from another process, and with `unknown` each time listening
    /// starts or starts again. Called on the listener's task: it must return quickly.
    func onArrival(_ handler: @escaping @Sendable (TaskArrival) -> Void)
}

/// For a store that only one process uses (the embedded SQLite file): there is no one to tell.
public struct NoNotifications: TaskNotifications {
    public init() {}
    public func announce(_ arrival: TaskArrival) {}
    public func onArrival(_ handler: @escaping @Sendable (TaskArrival) -> Void) {}
    public func run() async throws {}
}
