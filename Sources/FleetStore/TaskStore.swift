import FleetModel
import Foundation
import ServiceLifecycle

/// Where tasks and agents live. One contract, two engines (`SQLiteTaskStore`, `PostgresTaskStore`); every test of
/// the contract runs against both.
///
/// Each mutating call is atomic: a poll claims its tasks in one statement, so no task is handed out twice, however
/// many polls (or `afm` processes sharing a database) run at once.
///
/// As a `Service`, a store runs for the life of the process (the PostgreSQL pool needs its `run()`), and closes
/// when the service group shuts down.
public protocol TaskStore: Service {
    /// `sqlite` or `postgresql`, for logs and `/status`.
    var engine: String { get }

    /// Creates the tables, or brings them up to the latest schema version. Safe to call from several processes.
    func migrate() async throws
    /// Drops every table this store owns.
    func dropTables() async throws

    /// Stores a new waiting task. Throws `FleetError.taskAlreadyExists` for a task id already taken.
    func createTask(_ task: NewTask, at now: Timestamp) async throws
    /// Records that the agent was seen with its capabilities, then claims up to `maxTasks` waiting tasks whose
    /// type and version it can run, oldest first.
    func poll(_ poll: AgentPoll, at now: Timestamp) async throws -> [ClaimedTask]
    /// Completes or fails a claimed task. Throws `FleetError` when the task is unknown, unclaimed or finished.
    func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, at now: Timestamp) async throws
    func task(id: UUID) async throws -> TaskRecord?
    /// Agents seen at or after `activeSince`, and tasks not yet claimed.
    func status(activeSince: Timestamp) async throws -> FleetStatus
    /// The newest unassigned tasks, and the most recently seen agents with their newest tasks.
    func dashboard(limits: DashboardLimits) async throws -> DashboardSnapshot

    /// Releases the database. The store is unusable afterwards.
    func close() async throws
}

/// How much the dashboard shows, so that it stays fast on a database with millions of tasks.
public struct DashboardLimits: Sendable {
    public var unassignedTasks: Int
    public var agents: Int
    public var tasksPerAgent: Int

    public init(unassignedTasks: Int = 100, agents: Int = 100, tasksPerAgent: Int = 20) {
        self.unassignedTasks = unassignedTasks
        self.agents = agents
        self.tasksPerAgent = tasksPerAgent
    }
}

/// The database could not do what was asked: unreachable, timed out, or refused the statement.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let cause: String

    public init(operation: String, cause: String) {
        self.operation = operation
        self.cause = cause
    }

    public var description: String { "database \(operation) failed: \(cause)" }
}
