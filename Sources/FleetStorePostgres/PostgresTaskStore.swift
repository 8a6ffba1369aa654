import FleetModel
import FleetStore
import Foundation
import JSON
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
public final class PostgresTaskStore: StoreLifecycle, TaskQueue, FleetDirectory, TaskTypeRegistry {
    public let engine = "postgresql"
    let client: PostgresClient
    let logger: Logger
    let deadlines: OperationDeadlines
    /// Every operation runs within a deadline (`operationTimeout`), its errors naming it.
    let operations: GuardedOperations
    let inserts: StatementCoalescer<PostgresRequestBatches.Insert, TaskRecord?>
    let outcomes: StatementCoalescer<PostgresRequestBatches.Outcome, Bool>
    let reads: StatementCoalescer<UUID, TaskRecord?>
    public let notifications: any TaskNotifications

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
        // No minimum of open connections: with one, the pool (postgres-nio 1.33) could count fewer open connections
        // than its minimum after reconnects had failed, and a request arriving then stopped the process on a
        // precondition. Without, connections open on demand and close after a minute idle; no keep-alive pings.
        configuration.options.minimumConnections = 0
        configuration.options.connectionIdleTimeout = .seconds(60)
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
        notifications = PostgresTaskNotifications(location: location, logger: logger) { payload in
            try await operations.run("task notification") {
                for try await _ in try await client.query("SELECT pg_notify(\(PostgresTaskNotifications.channel), \(payload))", logger: logger) {}
            }
        }
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

    /// A migration is tens of statements in one transaction, and `afm` processes started together each wait for the
    /// one that holds the migration lock: it gets longer than any request's operation.
    static let migrationTimeout = Duration.seconds(120)

    public func migrate() async throws {
        try await guarded("migration", timeout: Self.migrationTimeout) {
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
            try await self.client.query("""
                DROP TABLE IF EXISTS tasks, agents, task_types, schedules, schedule_misses, run_rollups, schedule_ledgers, incidents,
                    webhooks, webhook_deliveries, webhook_attempts, console_sessions, afm_schema
                """, logger: self.logger)
        }
    }

    // MARK: Plumbing shared by the extensions

    static var taskColumns: String { PostgresStatements.taskColumns }

    /// Task rows in `taskColumns` order, newest first (or oldest first for listings).
    func taskRecords(_ query: PostgresQuery, newestFirst: Bool = true) async throws -> [TaskRecord] {
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
            let locations = try columns[17].decode(String?.self)
            let schedule = try columns[18].decode(String?.self)
            let slot = try columns[19].decode(Timestamp?.self)
            let rule = try columns[20].decode(String?.self)
            let verdict = RunCounting.verdict(
                code: try columns[21].decode(Int16?.self).map(Int.init), reason: try columns[22].decode(String?.self),
                detail: try columns[23].decode(String?.self), durationMilliseconds: try columns[24].decode(Double?.self))
            guard let state = TaskState(rawValue: stateText) else {
                throw StoreUnavailable(operation: "read", cause: "unknown task state '\(stateText)' in the database")
            }
            records.append(
                (seq, TaskRecord(
                    id: id, testID: testID, type: type, version: version, dataJSON: data, state: state, agentID: agentID,
                    created: created, claimed: claimed, completed: completed, failed: failed, resultJSON: result,
                    error: error, attempts: Int(attempts), ttlSeconds: ttl, expires: expires, sequence: seq,
                    locations: TaskRoute.locations(stored: locations), schedule: schedule, slot: slot,
                    runRule: RunRule(storedText: rule), verdict: verdict)))
        }
        return records.sorted { newestFirst ? $0.0 > $1.0 : $0.0 < $1.0 }.map(\.1)
    }

    /// Runs a database operation with a deadline, and turns driver errors into `StoreUnavailable` with their cause.
    @discardableResult
    func guarded<Result: Sendable>(
        _ operation: String, timeout: Duration? = nil, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await operations.run(operation, timeout: timeout, body)
    }
}
