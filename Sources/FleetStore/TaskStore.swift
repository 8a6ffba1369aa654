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

    /// Stores a new waiting task unless its id is taken; answers the new task, or nil when the id was taken (the
    /// existing task is left as it is). With `unlessTaskTypeRegistered`, also nil, storing nothing, when schemas are
    /// registered for the task's type and version: then the caller checks the data and inserts again. That makes
    /// checking and storing the data of an unregistered type one statement. `createTask` and `createTasks` build on it.
    func insertTask(_ task: NewTask, at now: Timestamp, unlessTaskTypeRegistered: Bool) async throws -> TaskRecord?
    /// Cancels a task that has not finished. Throws `taskNotFound` or `taskAlreadyFinished`.
    func cancelTask(id: UUID, at now: Timestamp) async throws -> TaskRecord
    func listTasks(_ query: TaskQuery) async throws -> TaskPage
    /// Expires unclaimed tasks past their time to live; hands back tasks whose agent was last seen before
    /// `agentSeenSince`, or that were claimed before `claimedBefore` (a run that took too long), or fails them
    /// (`agent lost`, `run timed out`) once they have been handed back `maxAttempts - 1` times.
    func sweep(at now: Timestamp, agentSeenSince: Timestamp, claimedBefore: Timestamp?, maxAttempts: Int) async throws -> SweepReport
    /// Records that the agent was seen with its capabilities, then claims up to `maxTasks` waiting tasks whose
    /// type and version it can run, oldest first. The agent row is only written when something changed or its
    /// last-seen time is `lastSeenResolution` seconds old or more: agents that poll often cost no write per poll.
    func poll(_ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double) async throws -> [ClaimedTask]
    /// Records each agent as a poll described it, in one statement: a new agent is added; a known one takes the
    /// sighting's name, capabilities, location and last-seen time unless its row is newer. For polls answered
    /// without the database (`IdlePollShortcut`).
    func recordAgents(_ sightings: [AgentSighting]) async throws
    /// Completes or fails a claimed task. Throws `FleetError` when the task is unknown, unclaimed or finished, or
    /// (when `agentID` is given) held by another agent. With `unlessResultSchema`, a result is not recorded when
    /// the task's type has a result schema: the answer is then false and the caller checks the result and records
    /// the outcome again; otherwise the answer is true.
    @discardableResult
    func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, unlessResultSchema: Bool
    ) async throws -> Bool
    func task(id: UUID) async throws -> TaskRecord?
    /// Agents seen at or after `activeSince`, and tasks not yet claimed.
    func status(activeSince: Timestamp) async throws -> FleetStatus
    /// The newest unassigned tasks, and the most recently seen agents with their newest tasks.
    func dashboard(limits: DashboardLimits) async throws -> DashboardSnapshot
    /// Agents, most recently seen first, with the tasks they hold.
    func agents(limit: Int) async throws -> [AgentRecord]
    func agent(id: UUID) async throws -> AgentRecord?

    /// Registers or replaces the schemas of a task type; answers whether it was new.
    func putTaskType(_ taskType: TaskTypeRecord) async throws -> Bool
    func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord?
    func taskTypes() async throws -> [TaskTypeRecord]
    /// Answers whether there was one to delete.
    func deleteTaskType(_ type: String, version: Int64) async throws -> Bool

    /// Releases the database. The store is unusable afterwards.
    func close() async throws
}

extension TaskStore {
    /// A sweep without a bound on how long a claimed task may run.
    public func sweep(at now: Timestamp, agentSeenSince: Timestamp, maxAttempts: Int) async throws -> SweepReport {
        try await sweep(at: now, agentSeenSince: agentSeenSince, claimedBefore: nil, maxAttempts: maxAttempts)
    }

    /// Stores a new waiting task unless its id is taken (nil then).
    public func insertTask(_ task: NewTask, at now: Timestamp) async throws -> TaskRecord? {
        try await insertTask(task, at: now, unlessTaskTypeRegistered: false)
    }

    /// Stores a new waiting task. Throws `FleetError.taskAlreadyExists` for a task id already taken.
    public func createTask(_ task: NewTask, at now: Timestamp) async throws {
        if try await insertTask(task, at: now) == nil { throw FleetError.taskAlreadyExists(task.id) }
    }

    /// Creates each task, or finds it already there with the same body (idempotent repeat). A task whose id exists
    /// with a different body is not changed; the call then throws `FleetError.taskConflict` for the first such id
    /// after creating the others.
    public func createTasks(_ tasks: [NewTask], at now: Timestamp) async throws -> [CreatedTask] {
        var created: [CreatedTask] = []
        var conflict: UUID?
        for task in tasks {
            if let record = try await insertTask(task, at: now) {
                created.append(CreatedTask(record: record, created: true))
            } else if let existing = try await self.task(id: task.id), task.matches(existing) {
                created.append(CreatedTask(record: existing, created: false))
            } else if conflict == nil {
                conflict = task.id
            }
        }
        if let conflict { throw FleetError.taskConflict(conflict) }
        return created
    }

    public func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp) async throws {
        try await recordOutcome(outcome, forTask: id, by: agentID, at: now, unlessResultSchema: false)
    }

    public func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, at now: Timestamp) async throws {
        try await recordOutcome(outcome, forTask: id, by: nil, at: now)
    }
}

/// An agent as one of its polls described it, and when.
public struct AgentSighting: Sendable, Equatable {
    public let agentID: UUID
    public let name: String
    public let capabilities: [Capability]
    public let location: AgentLocation?
    public let lastSeen: Timestamp

    public init(_ poll: AgentPoll, at lastSeen: Timestamp) {
        agentID = poll.agentID
        name = poll.name
        capabilities = poll.capabilities
        location = poll.location
        self.lastSeen = lastSeen
    }

    /// Whether `poll` describes the agent as this sighting does (its time aside).
    public func describes(_ poll: AgentPoll) -> Bool {
        agentID == poll.agentID && name == poll.name && capabilities == poll.capabilities && location == poll.location
    }
}

/// A task from `createTasks`, and whether this call created it (false: it was already there, the same).
public struct CreatedTask: Sendable, Equatable {
    public let record: TaskRecord
    public let created: Bool

    public init(record: TaskRecord, created: Bool) {
        self.record = record
        self.created = created
    }
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
    /// The database answered the statement with an error, so none of it took effect; false when the outcome is
    /// unknown (a lost connection, no answer in time).
    public let refusedByDatabase: Bool

    public init(operation: String, cause: String, refusedByDatabase: Bool = false) {
        self.operation = operation
        self.cause = cause
        self.refusedByDatabase = refusedByDatabase
    }

    public var description: String { "database \(operation) failed: \(cause)" }
}

extension TaskStore {
    /// A poll that keeps last-seen times to the second.
    public func poll(_ poll: AgentPoll, at now: Timestamp) async throws -> [ClaimedTask] {
        try await self.poll(poll, at: now, lastSeenResolution: 1)
    }
}
