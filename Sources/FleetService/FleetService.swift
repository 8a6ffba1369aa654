import FleetModel
import FleetStore
import Logging
import ServiceLifecycle

/// The domain of the AFM, between the HTTP controllers and the storage: tasks, task types, the fleet overview, held
/// polls and the sweep, sharing one clock, one policy and one sink of events. Controllers map HTTP to these and back;
/// everything they decide lives here.
///
/// Polls go through an `IdlePollShortcut`, which answers those that would claim nothing without a database round
/// trip; whatever may make a task claimable tells it (`TaskWakeups`), and every read of agents lets it write the
/// agents it saw first.
public struct FleetService: Sendable {
    public let tasks: TaskService
    public let taskTypes: TaskTypeCatalog
    public let overview: FleetOverview
    public let sweeper: Sweeper
    public let schedules: ScheduleService
    /// Makes the tasks of due schedule slots; a service of every `afm` process.
    public let scheduleRunner: ScheduleRunner
    public let policy: FleetPolicy
    /// The domain's clock, for the services composed beside it (webhook deliveries).
    public let clock: any FleetClock
    /// Held polls and what wakes them; `heldPolls` is a service that answers them all at shutdown.
    public let wakeups: TaskWakeups
    public let shortcut: IdlePollShortcut
    public let serviceLevels: ServiceLevelService
    public let webhooks: WebhookService
    /// Judges ended runs and counts them; a service of every `afm` process.
    public let runCounter: RunCounter
    /// Deletes what is past its retention; a service of every `afm` process.
    public let pruner: RetentionPruner
    public let console: ConsoleService
    public let consoleSessions: ConsoleSessions

    /// The domain over one store. `emptyClaimLifetime` is how long the shortcut trusts an empty claim (tests that
    /// move a manual clock stretch it).
    public init(
        store: any TaskStore, policy: FleetPolicy, events: any FleetEvents = UncountedEvents(), clock: any FleetClock = SystemClock(),
        logger: Logger, emptyClaimLifetime: Double = 1
    ) {
        let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: logger, emptyClaimLifetime: emptyClaimLifetime)
        let wakeups = TaskWakeups(held: HeldPolls(events: events), notifications: store.notifications, shortcut: shortcut)
        wakeups.listen()
        let catalog = TaskTypeCatalog(registry: store, clock: clock)
        let overview = FleetOverview(directory: store, clock: clock, policy: policy, shortcut: shortcut)
        self.tasks = TaskService(
            queue: shortcut, directory: store, catalog: catalog, clock: clock, events: events, policy: policy, wakeups: wakeups)
        self.taskTypes = catalog
        self.overview = overview
        self.sweeper = Sweeper(
            queue: shortcut, overview: overview, clock: clock, policy: policy, events: events, wakeups: wakeups, logger: logger)
        let changes = ScheduleChanges()
        self.schedules = ScheduleService(book: store, catalog: catalog, clock: clock, changed: { changes.scheduleChanged() })
        self.scheduleRunner = ScheduleRunner(book: store, clock: clock, events: events, wakeups: wakeups, logger: logger, changes: changes)
        self.policy = policy
        self.clock = clock
        self.wakeups = wakeups
        self.shortcut = shortcut
        self.serviceLevels = ServiceLevelService(book: store, schedules: store, clock: clock, policy: policy)
        self.webhooks = WebhookService(book: store, clock: clock)
        self.runCounter = RunCounter(book: store, judge: RunJudge(), clock: clock, policy: policy, logger: logger)
        self.pruner = RetentionPruner(book: store, clock: clock, policy: policy, logger: logger)
        self.console = ConsoleService(
            book: store, overview: overview, tasks: tasks, schedules: schedules, serviceLevels: serviceLevels, clock: clock)
        self.consoleSessions = ConsoleSessions(book: store, clock: clock)
    }

    /// What runs while the domain serves, apart from the store itself: the shortcut's writes of the agents it saw;
    /// the sweeper, the schedule runner, the run counter, the pruner, the word from other processes and the held polls. Stopped in reverse, the
    /// shortcut last, so that the agents seen by the last polls are written before the store closes.
    public var services: (first: any Service, rest: [any Service]) {
        (shortcut, [sweeper, scheduleRunner, runCounter, pruner, wakeups.notifications, wakeups.held])
    }
}
