import FleetModel
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// The PostgreSQL store: a pooled `PostgresClient`, every operation one statement (one round trip); the statements
/// on the request path are prepared (`PostgresStatements`), and inserts, outcomes and reads that arrive together
/// share one (`PostgresBatchStatements`).
///
/// A poll records the agent and claims its tasks in a single statement; the claim selects with
/// `FOR UPDATE SKIP LOCKED`, so concurrent polls, from any number of `afm` processes, never take the same task.
public final class PostgresTaskStore: TaskStore {
    public let engine = "postgresql"
    private let client: PostgresClient
    private let logger: Logger
    private let deadlines: OperationDeadlines
    /// Every operation runs within a deadline (`operationTimeout`), its errors naming it.
    private let operations: GuardedOperations
    private let inserts: StatementCoalescer<PostgresRequestBatches.Insert, TaskRecord?>
    private let outcomes: StatementCoalescer<PostgresRequestBatches.Outcome, Bool>
    private let reads: StatementCoalescer<UUID, TaskRecord?>

    /// Settings of afm's own connections, sent when each connects. afm's statements find their rows through an
    /// index each, but a prepared statement keeps the plan made for the table as it was, often empty at start:
    /// - without bitmap scans the claim reads the tasks_claimable index in order and stops at the tasks it takes. A
    ///   bitmap scan, picked while few tasks wait, reads every entry of the type, including those of tasks claimed
    ///   since the last vacuum, and marks none dead: with 16 clients running afm's statements alone, 1,130–1,360
    ///   lifecycles/s against 2,580–2,770 with the plain index scan;
    /// - without sequential scans (still used where nothing else can serve) the claim's update fetches its rows
    ///   by their row ids instead of scanning the table it saw small: 1.5 ms a poll after 20,000 tasks, against 0.2.
    static let connectionParameters = [("enable_bitmapscan", "off"), ("enable_seqscan", "off")]

    /// The default number of connections for this machine.
    public static var defaultPoolSize: Int { max(4, ProcessInfo.processInfo.activeProcessorCount * 4) }

    public init(
        location: DatabaseURI.PostgresLocation, logger: Logger, operationTimeout: Duration = .seconds(10), poolSize: Int? = nil
    ) {
        var configuration: PostgresClient.Configuration
        if let socketDirectory = location.socketDirectory {
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(location.port)", username: location.username,
                password: location.password, database: location.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            configuration = PostgresClient.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        // More connections than cores only queue work inside PostgreSQL; a few per core keeps both sides busy.
        let poolSize = poolSize ?? Self.defaultPoolSize
        configuration.options.maximumConnections = poolSize
        // All connections kept open, with no keep-alive pings: the pool otherwise starts timers (three tasks and a
        // sleep) each time a connection goes back idle, to close it or ping it later, which under load cost afm
        // about 7 % of its CPU. A connection the server closes is still noticed at once and opened again.
        configuration.options.minimumConnections = poolSize
        configuration.options.keepAliveBehavior = nil
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = Self.connectionParameters
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        let deadlines = OperationDeadlines()
        self.deadlines = deadlines
        let operations = GuardedOperations(deadlines: deadlines, timeout: operationTimeout)
        self.operations = operations
        let batches = PostgresRequestBatches(client: client, logger: logger, operations: operations)
        let (concurrent, maximum) = PostgresRequestBatches.coalescers(poolSize: poolSize)
        inserts = StatementCoalescer(concurrentBatches: concurrent, maximumBatch: maximum, execute: batches.insert)
        outcomes = StatementCoalescer(concurrentBatches: concurrent, maximumBatch: maximum, execute: batches.recordOutcomes)
        reads = StatementCoalescer(concurrentBatches: concurrent, maximumBatch: maximum, execute: batches.read)
    }

    public func run() async throws {
        // Runs the pool, and the watchdog of operation deadlines, until the service group shuts down (or the task
        // is cancelled).
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.deadlines.watch() }
                await self.client.run()
                group.cancelAll()
            }
        }
    }

    public func close() async throws {}

    // MARK: Schema

    public func migrate() async throws {
        try await guarded("migration") {
            try await self.client.withTransaction(logger: self.logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.advisoryLockKey))", logger: self.logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS afm_schema (version int PRIMARY KEY, summary text NOT NULL, applied timestamptz NOT NULL DEFAULT now())",
                    logger: self.logger)
                var current = 0
                for try await (version) in try await connection.query(
                    "SELECT COALESCE(MAX(version), 0) FROM afm_schema", logger: self.logger
                ).decode(Int.self) {
                    current = version
                }
                for migration in PostgresMigrations.all where migration.version > current {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                    try await connection.query(
                        "INSERT INTO afm_schema (version, summary) VALUES (\(migration.version), \(migration.summary))",
                        logger: self.logger)
                    self.logger.info(
                        "applied schema migration",
                        metadata: ["version": "\(migration.version)", "summary": "\(migration.summary)"])
                }
            }
        }
    }

    public func dropTables() async throws {
        try await guarded("drop tables") {
            try await self.client.query("DROP TABLE IF EXISTS tasks, agents, task_types, afm_schema", logger: self.logger)
        }
    }

    // MARK: Tasks

    public func insertTask(_ task: NewTask, at now: Timestamp, unlessTaskTypeRegistered: Bool) async throws -> TaskRecord? {
        try await inserts.run(.init(task: task, now: now, unlessTaskTypeRegistered: unlessTaskTypeRegistered))
    }

    public func cancelTask(id: UUID, at now: Timestamp) async throws -> TaskRecord {
        let cancelled = try await guarded("task cancel") {
            try await self.taskRecords(
                """
                UPDATE tasks SET state = 'cancelled', failed = \(now), error = 'cancelled'
                WHERE id = \(id) AND state IN ('waiting', 'claimed') RETURNING \(unescaped: Self.taskColumns)
                """
            ).first
        }
        if let cancelled { return cancelled }
        guard let existing = try await task(id: id) else { throw FleetError.taskNotFound(id) }
        throw FleetError.taskAlreadyFinished(id, existing.state)
    }

    public func listTasks(_ query: TaskQuery) async throws -> TaskPage {
        // Absent filters are NULL and match everything; the planner still uses the indexes for the given ones.
        let found = try await guarded("task listing") {
            try await self.taskRecords(
                """
                SELECT \(unescaped: Self.taskColumns) FROM tasks
                WHERE (\(query.state?.rawValue)::text IS NULL OR state = \(query.state?.rawValue))
                  AND (\(query.type)::text IS NULL OR type = \(query.type))
                  AND (\(query.version)::bigint IS NULL OR version = \(query.version))
                  AND (\(query.testID)::uuid IS NULL OR test_id = \(query.testID))
                  AND (\(query.agentID)::uuid IS NULL OR agent_id = \(query.agentID))
                  AND (\(query.createdAfter)::timestamptz IS NULL OR created >= \(query.createdAfter))
                  AND (\(query.createdBefore)::timestamptz IS NULL OR created < \(query.createdBefore))
                  AND (\(query.afterSequence)::bigint IS NULL OR seq > \(query.afterSequence))
                ORDER BY seq LIMIT \(query.limit + 1)
                """, newestFirst: false)
        }
        let page = Array(found.prefix(query.limit))
        return TaskPage(tasks: page, nextCursor: found.count > query.limit ? page.last?.sequence : nil)
    }

    public func sweep(at now: Timestamp, agentSeenSince: Timestamp, claimedBefore: Timestamp?, maxAttempts: Int) async throws -> SweepReport {
        try await guarded("sweep") {
            var report = SweepReport(expired: 0, handedBack: 0, lost: 0)
            for try await (expired, lost, handedBack) in try await self.client.query(
                """
                WITH expired AS (
                    UPDATE tasks SET state = 'expired', failed = expires, error = 'expired'
                    WHERE state = 'waiting' AND expires IS NOT NULL AND expires <= \(now) RETURNING seq
                ), lost_agents AS (
                    SELECT id FROM agents WHERE last_seen < \(agentSeenSince)
                ), abandoned AS (
                    -- Its agent is lost, or its run has taken longer than the bound (NULL when there is none). The
                    -- updates check the state again: a result that commits meanwhile is re-read there, not here.
                    SELECT seq, agent_id IN (SELECT id FROM lost_agents) AS agent_lost FROM tasks
                    WHERE state = 'claimed' AND (agent_id IN (SELECT id FROM lost_agents) OR claimed < \(claimedBefore))
                ), lost AS (
                    UPDATE tasks SET state = 'failed', failed = \(now), attempts = attempts + 1,
                        error = CASE WHEN abandoned.agent_lost THEN 'agent lost' ELSE 'run timed out' END
                    FROM abandoned
                    WHERE tasks.seq = abandoned.seq AND tasks.state = 'claimed' AND tasks.attempts + 1 >= \(maxAttempts)
                    RETURNING tasks.seq
                ), handed_back AS (
                    UPDATE tasks SET state = 'waiting', agent_id = NULL, claimed = NULL, attempts = tasks.attempts + 1
                    FROM abandoned
                    WHERE tasks.seq = abandoned.seq AND tasks.state = 'claimed' AND tasks.attempts + 1 < \(maxAttempts)
                    RETURNING tasks.seq
                )
                SELECT (SELECT count(*) FROM expired), (SELECT count(*) FROM lost), (SELECT count(*) FROM handed_back)
                """, logger: self.logger
            ).decode((Int64, Int64, Int64).self) {
                report = SweepReport(expired: Int(expired), handedBack: Int(handedBack), lost: Int(lost))
            }
            return report
        }
    }

    public func poll(_ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double) async throws -> [ClaimedTask] {
        let statement = PostgresStatements.Poll(poll: poll, now: now, lastSeenResolution: lastSeenResolution)
        return try await guarded("poll") {
            var claimed: [(Int64, ClaimedTask)] = []
            for try await (seq, id, type, version, data) in try await self.client.execute(statement, logger: self.logger) {
                claimed.append((seq, ClaimedTask(id: id, type: type, version: version, dataJSON: data)))
            }
            return claimed.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    public func recordAgents(_ sightings: [AgentSighting]) async throws {
        guard !sightings.isEmpty else { return }
        // In id order, so that two processes writing the same agents lock their rows in the same order. (By the
        // bytes: the order of the id strings too, without formatting two strings for every comparison.)
        let ordered = sightings.sorted { $0.agentID < $1.agentID }
        let ids = ordered.map(\.agentID)
        let names = ordered.map(\.name)
        let times = ordered.map(\.lastSeen)
        let capabilities = ordered.map { StoredJSON.capabilities($0.capabilities) }
        // No agent's location is the empty string (a location is a JSON object): it stands for none.
        let locations = ordered.map { $0.location.map(StoredJSON.location) ?? "" }
        try await guarded("agent sightings") {
            try await self.client.query(
                """
                INSERT INTO agents (id, name, last_seen, capabilities, location)
                SELECT id, name, last_seen, capabilities, NULLIF(location, '')
                FROM unnest(\(ids)::uuid[], \(names)::text[], \(times)::timestamptz[], \(capabilities)::text[], \(locations)::text[])
                    AS seen(id, name, last_seen, capabilities, location)
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, last_seen = EXCLUDED.last_seen,
                    capabilities = EXCLUDED.capabilities, location = EXCLUDED.location
                WHERE agents.last_seen <= EXCLUDED.last_seen
                """, logger: self.logger)
        }
    }

    public func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, unlessResultSchema: Bool
    ) async throws -> Bool {
        // One statement (shared with the outcomes posted at the same time): complete or fail the task if it is
        // claimed (by this agent, when it says who it is); otherwise report the state that prevented it.
        try await outcomes.run(.init(outcome: outcome, taskID: id, agentID: agentID, now: now, unlessResultSchema: unlessResultSchema))
    }

    public func task(id: UUID) async throws -> TaskRecord? {
        try await reads.run(id)
    }

    // MARK: Fleet views

    public func status(activeSince: Timestamp) async throws -> FleetStatus {
        try await guarded("status") {
            var status = FleetStatus(activeAgents: 0, waitingTasks: 0)
            for try await (agents, waiting) in try await self.client.query(
                """
                SELECT (SELECT count(*) FROM agents WHERE last_seen >= \(activeSince)),
                       (SELECT count(*) FROM tasks WHERE state = 'waiting')
                """, logger: self.logger
            ).decode((Int64, Int64).self) {
                status = FleetStatus(activeAgents: Int(agents), waitingTasks: Int(waiting))
            }
            return status
        }
    }

    public func dashboard(limits: DashboardLimits) async throws -> DashboardSnapshot {
        try await guarded("dashboard") {
            let unassigned = try await self.taskRecords(
                "SELECT \(unescaped: Self.taskColumns) FROM tasks WHERE state = 'waiting' ORDER BY seq DESC LIMIT \(limits.unassignedTasks)")
            var agents: [(id: UUID, name: String, lastSeen: Timestamp, capabilities: String)] = []
            for try await (id, name, lastSeen, capabilities) in try await self.client.query(
                "SELECT id, name, last_seen, capabilities FROM agents ORDER BY last_seen DESC, id LIMIT \(limits.agents)",
                logger: self.logger
            ).decode((UUID, String, Timestamp, String).self) {
                agents.append((id, name, lastSeen, capabilities))
            }
            let agentIDs = agents.map(\.id)
            let recent = try await self.taskRecords(
                """
                SELECT \(unescaped: Self.taskColumns) FROM agents a
                CROSS JOIN LATERAL (
                    SELECT * FROM tasks t WHERE t.agent_id = a.id ORDER BY t.seq DESC LIMIT \(limits.tasksPerAgent)) tasks
                WHERE a.id = ANY(\(agentIDs))
                """)
            let tasksByAgent = Dictionary(grouping: recent, by: { $0.agentID })
            return DashboardSnapshot(
                unassignedTasks: unassigned,
                agents: agents.map { agent in
                    AgentSummary(
                        id: agent.id, name: agent.name, lastSeen: agent.lastSeen,
                        capabilities: StoredJSON.parseCapabilities(agent.capabilities),
                        tasks: tasksByAgent[agent.id] ?? [])
                })
        }
    }

    public func agents(limit: Int) async throws -> [AgentRecord] {
        try await agentRecords("SELECT id, name, last_seen, capabilities, location FROM agents ORDER BY last_seen DESC, id LIMIT \(limit)")
    }

    public func agent(id: UUID) async throws -> AgentRecord? {
        try await agentRecords("SELECT id, name, last_seen, capabilities, location FROM agents WHERE id = \(id)").first
    }

    private func agentRecords(_ query: PostgresQuery) async throws -> [AgentRecord] {
        try await guarded("agents") {
            var agents: [(UUID, String, Timestamp, String, String?)] = []
            for try await row in try await self.client.query(query, logger: self.logger).decode((UUID, String, Timestamp, String, String?).self) {
                agents.append(row)
            }
            var held: [UUID: [UUID]] = [:]
            for try await (agentID, taskID) in try await self.client.query(
                "SELECT agent_id, id FROM tasks WHERE state = 'claimed' AND agent_id = ANY(\(agents.map(\.0))) ORDER BY seq",
                logger: self.logger
            ).decode((UUID, UUID).self) {
                held[agentID, default: []].append(taskID)
            }
            return agents.map { id, name, lastSeen, capabilities, location in
                AgentRecord(
                    id: id, name: name, lastSeen: lastSeen, capabilities: StoredJSON.parseCapabilities(capabilities),
                    location: StoredJSON.parseLocation(location), tasksInHand: held[id] ?? [])
            }
        }
    }

    // MARK: Task types

    public func putTaskType(_ taskType: TaskTypeRecord) async throws -> Bool {
        try await guarded("task type write") {
            var inserted = false
            // xmax is 0 for a row this statement inserted, non-zero for one it updated.
            for try await (wasInserted) in try await self.client.query(
                """
                INSERT INTO task_types (type, version, task_schema, result_schema, created, updated)
                VALUES (\(taskType.type), \(taskType.version), \(taskType.taskSchemaJSON), \(taskType.resultSchemaJSON),
                        \(taskType.created), \(taskType.updated))
                ON CONFLICT (type, version) DO UPDATE SET task_schema = EXCLUDED.task_schema,
                    result_schema = EXCLUDED.result_schema, updated = EXCLUDED.updated
                RETURNING (xmax = 0)
                """, logger: self.logger
            ).decode(Bool.self) {
                inserted = wasInserted
            }
            return inserted
        }
    }

    public func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord? {
        try await guarded("task types") {
            var found: TaskTypeRecord?
            for try await (type, version, taskSchema, resultSchema, created, updated) in try await self.client.execute(
                PostgresStatements.ReadTaskType(type: type, version: version), logger: self.logger)
            {
                found = TaskTypeRecord(
                    type: type, version: version, taskSchemaJSON: taskSchema, resultSchemaJSON: resultSchema, created: created,
                    updated: updated)
            }
            return found
        }
    }

    public func taskTypes() async throws -> [TaskTypeRecord] {
        try await taskTypeRecords("SELECT type, version, task_schema, result_schema, created, updated FROM task_types ORDER BY type, version")
    }

    public func deleteTaskType(_ type: String, version: Int64) async throws -> Bool {
        try await guarded("task type delete") {
            var deleted = false
            for try await _ in try await self.client.query(
                "DELETE FROM task_types WHERE type = \(type) AND version = \(version) RETURNING version", logger: self.logger
            ).decode(Int64.self) {
                deleted = true
            }
            return deleted
        }
    }

    private func taskTypeRecords(_ query: PostgresQuery) async throws -> [TaskTypeRecord] {
        try await guarded("task types") {
            var records: [TaskTypeRecord] = []
            for try await (type, version, taskSchema, resultSchema, created, updated) in try await self.client.query(
                query, logger: self.logger
            ).decode((String, Int64, String, String?, Timestamp, Timestamp).self) {
                records.append(TaskTypeRecord(type: type, version: version, taskSchemaJSON: taskSchema, resultSchemaJSON: resultSchema, created: created, updated: updated))
            }
            return records
        }
    }

    // MARK: Plumbing

    private static var taskColumns: String { PostgresStatements.taskColumns }

    /// Task rows in `taskColumns` order, newest first (or oldest first for listings).
    private func taskRecords(_ query: PostgresQuery, newestFirst: Bool = true) async throws -> [TaskRecord] {
        try await Self.taskRecords(client.query(query, logger: logger), newestFirst: newestFirst)
    }

    static func taskRecords<Rows: AsyncSequence>(
        _ rows: Rows, newestFirst: Bool = true
    ) async throws -> [TaskRecord] where Rows.Element == PostgresRow {
        var records: [(Int64, TaskRecord)] = []
        for try await row in rows {
            let (seq, id, testID, type, version, data, stateText, agentID, created, claimed) =
                try row.decode((Int64, UUID, UUID, String, Int64, String?, String, UUID?, Timestamp, Timestamp?).self)
            let columns = row.makeRandomAccess()
            let completed = try columns[10].decode(Timestamp?.self)
            let failed = try columns[11].decode(Timestamp?.self)
            let result = try columns[12].decode(String?.self)
            let error = try columns[13].decode(String?.self)
            let attempts = try columns[14].decode(Int32.self)
            let ttl = try columns[15].decode(Int64?.self)
            let expires = try columns[16].decode(Timestamp?.self)
            guard let state = TaskState(rawValue: stateText) else {
                throw StoreUnavailable(operation: "read", cause: "unknown task state '\(stateText)' in the database")
            }
            records.append(
                (seq, TaskRecord(
                    id: id, testID: testID, type: type, version: version, dataJSON: data, state: state, agentID: agentID,
                    created: created, claimed: claimed, completed: completed, failed: failed, resultJSON: result,
                    error: error, attempts: Int(attempts), ttlSeconds: ttl, expires: expires, sequence: seq)))
        }
        return records.sorted { newestFirst ? $0.0 > $1.0 : $0.0 < $1.0 }.map(\.1)
    }

    /// Runs a database operation with a deadline, and turns driver errors into `StoreUnavailable` with their cause.
    @discardableResult
    private func guarded<Result: Sendable>(
        _ operation: String, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await operations.run(operation, body)
    }
}
