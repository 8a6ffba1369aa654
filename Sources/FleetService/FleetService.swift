import FleetStore
import Logging

/// The domain of the AFM, between the HTTP controllers and the storage: tasks, task types, the fleet overview and
/// the sweep, sharing one clock, one policy and one sink of events. Controllers map HTTP to these and back;
/// everything they decide lives here.
public struct FleetService: Sendable {
    public let tasks: TaskService
    public let taskTypes: TaskTypeCatalog
    public let overview: FleetOverview
    public let sweeper: Sweeper
    public let schedules: ScheduleService
    /// Makes the tasks of due schedule slots; a service of every `afm` process.
    public let scheduleRunner: ScheduleRunner
    public let policy: FleetPolicy
    /// Held polls and what wakes them; `heldPolls` is a service that answers them all at shutdown.
    public let wakeups: TaskWakeups

    /// `queue` may be a decorator of the store's queue (`IdlePollShortcut`); `beforeReadingAgents` then writes the
    /// agents its polls saw. Without `wakeups`, held polls are woken by this process's tasks only.
    public init(
        queue: any TaskQueue, directory: any FleetDirectory, registry: any TaskTypeRegistry, book: any ScheduleBook, policy: FleetPolicy,
        events: any FleetEvents = UncountedEvents(), clock: any FleetClock = SystemClock(), logger: Logger,
        wakeups: TaskWakeups? = nil, beforeReadingAgents: @escaping @Sendable () async -> Void = {}
    ) {
        let wakeups = wakeups ?? TaskWakeups(held: HeldPolls(events: events), notifications: NoNotifications())
        let catalog = TaskTypeCatalog(registry: registry, clock: clock)
        let overview = FleetOverview(directory: directory, clock: clock, policy: policy, beforeReadingAgents: beforeReadingAgents)
        self.tasks = TaskService(
            queue: queue, directory: directory, catalog: catalog, clock: clock, events: events, policy: policy, wakeups: wakeups)
        self.taskTypes = catalog
        self.overview = overview
        self.sweeper = Sweeper(
            queue: queue, overview: overview, clock: clock, policy: policy, events: events, wakeups: wakeups, logger: logger)
        let changes = ScheduleChanges()
        self.schedules = ScheduleService(book: book, catalog: catalog, clock: clock, changed: { changes.scheduleChanged() })
        self.scheduleRunner = ScheduleRunner(book: book, clock: clock, events: events, wakeups: wakeups, logger: logger, changes: changes)
        self.policy = policy
        self.wakeups = wakeups
    }

    /// The domain over one store, every part of it straight.
    public init(
        store: any TaskStore, policy: FleetPolicy, events: any FleetEvents = UncountedEvents(), clock: any FleetClock = SystemClock(),
        logger: Logger
    ) {
        self.init(queue: store, directory: store, registry: store, book: store, policy: policy, events: events, clock: clock, logger: logger)
    }
}
