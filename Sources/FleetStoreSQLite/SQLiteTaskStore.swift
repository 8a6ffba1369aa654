import FleetModel
import FleetStore
import Foundation
import JSON
import Logging
import NIOPosix
import SQLiteNIO
import ServiceLifecycle

/// The embedded store: one SQLite file (or memory), one connection, WAL journal.
///
/// SQLite has a single writer, so every statement here is self-contained and atomic: a poll's claim is one
/// `UPDATE … RETURNING`, and no transaction spans two statements except migrations, which run before serving.
/// Commits are durable against a crash of `afm` (WAL, `synchronous = NORMAL`); for durability against power loss
/// of the whole machine, use PostgreSQL.
public final class SQLiteTaskStore: StoreLifecycle, TaskQueue, FleetDirectory, TaskTypeRegistry {
    public let engine = "sqlite"
    /// One process opens the file: its own held polls are woken directly.
    public let notifications: any TaskNotifications = NoNotifications()
    let connection: SQLiteConnection
    /// The thread every SQLite call of this store blocks: its own, so that a long statement, or a wait for the file
    /// lock another process holds, never delays anything else that uses a shared pool. One thread, never more: the
    /// connection commits a statement only once no other writing statement of it is active, so a write finished on
    /// a second thread while a claim still returned its rows was answered before its commit, and lost in a crash.
    private let thread: NIOThreadPool
    let logger: Logger
    /// Keeps statements out of a transaction in progress (`withTransaction`).
    private let gate = StatementGate()

    private init(connection: SQLiteConnection, thread: NIOThreadPool, logger: Logger) {
        self.connection = connection
        self.thread = thread
        self.logger = logger
    }

    /// Opens (creating if needed) the database file at `path`, or an in-memory database when `path` is nil.
    public static func open(path: String?, logger: Logger) async throws -> SQLiteTaskStore {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: path.map { .file(path: $0) } ?? .memory, threadPool: thread, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await thread.shutdownGracefully()
            throw StoreUnavailable(operation: "open of \(path ?? ":memory:")", cause: "\(error)")
        }
        let store = SQLiteTaskStore(connection: connection, thread: thread, logger: logger)
        do {
            if path != nil {
                _ = try await store.rows("PRAGMA journal_mode = WAL")
                // A statement waits for the write lock another process holds, sleeping between tries (the default
                // handler retries at once, holding a core), and fails after ten seconds rather than waiting forever.
                _ = try await store.rows("PRAGMA busy_timeout = 10000")
            }
            try await store.execute("PRAGMA synchronous = NORMAL")
            try await store.execute("PRAGMA foreign_keys = ON")
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    public func close() async throws {
        guard !connection.isClosed else { return }
        try await connection.close()
        try await thread.shutdownGracefully()
    }

    // MARK: Schema

    public func migrate() async throws {
        try await execute("CREATE TABLE IF NOT EXISTS afm_schema (version INTEGER PRIMARY KEY, summary TEXT NOT NULL, applied INTEGER NOT NULL)")
        // BEGIN IMMEDIATE takes the write lock first, so two processes cannot apply the same step.
        try await execute("BEGIN IMMEDIATE")
        do {
            let current = try await rows("SELECT COALESCE(MAX(version), 0) AS version FROM afm_schema").first?
                .column("version")?.integer ?? 0
            for migration in SQLiteMigrations.all where migration.version > current {
                for statement in migration.statements { try await execute(statement) }
                try await execute(
                    "INSERT INTO afm_schema (version, summary, applied) VALUES (?, ?, ?)",
                    [.integer(migration.version), .text(migration.summary), .integer(Int(Timestamp.now().microsecondsSinceEpoch))])
                logger.info("applied schema migration", metadata: ["version": "\(migration.version)", "summary": "\(migration.summary)"])
            }
            try await execute("COMMIT")
        } catch {
            try? await execute("ROLLBACK")
            throw error
        }
    }

    public func dropTables() async throws {
        for table in [
            "tasks", "agents", "task_types", "schedules", "schedule_misses", "run_rollups", "schedule_ledgers", "incidents", "webhooks",
            "webhook_deliveries", "webhook_attempts", "console_sessions", "afm_schema",
        ] {
            try await execute("DROP TABLE IF EXISTS \(table)")
        }
    }

    // MARK: Plumbing shared by the extensions

    static func taskRecord(_ row: SQLiteRow) throws -> TaskRecord {
        func time(_ column: String) -> Timestamp? {
            row.column(column)?.integer.map { Timestamp(microsecondsSinceEpoch: Int64($0)) }
        }
        let stateText = try row.text("state")
        guard let state = TaskState(rawValue: stateText) else {
            throw StoreUnavailable(operation: "read", cause: "unknown task state '\(stateText)' in the database")
        }
        return TaskRecord(
            id: try row.uuid("id"), testID: try row.uuid("test_id"), type: try row.text("type"),
            version: Int64(try row.int("version")), dataJSON: row.column("data")?.string, state: state,
            agentID: row.column("agent_id")?.string.flatMap(UUID.init(canonicalText:)),
            created: time("created") ?? Timestamp(microsecondsSinceEpoch: 0), claimed: time("claimed"),
            completed: time("completed"), failed: time("failed"), resultJSON: row.column("result")?.string,
            error: row.column("error")?.string, attempts: row.column("attempts")?.integer ?? 0,
            ttlSeconds: row.column("ttl")?.integer.map(Int64.init), expires: time("expires"),
            sequence: Int64(row.column("seq")?.integer ?? 0), locations: TaskRoute.locations(stored: row.column("locations")?.string),
            schedule: row.column("schedule")?.string, slot: time("slot"), runRule: RunRule(storedText: row.column("run_rule")?.string),
            verdict: RunCounting.verdict(
                code: row.column("verdict")?.integer, reason: row.column("down_reason")?.string, detail: row.column("verdict_detail")?.string,
                durationMilliseconds: row.column("duration_ms")?.double))
    }

    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        _ = try await rows(sql, binds)
    }

    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await gate.withShared { try await ungatedRows(sql, binds) }
    }

    fileprivate func ungatedRows(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch {
            throw StoreUnavailable(operation: "statement", cause: "\(error)")
        }
    }

    /// Runs `body` in one transaction, which no other statement of this store enters: all of it commits or none.
    func withTransaction<Result>(_ body: (SQLiteTransaction) async throws -> Result) async throws -> Result {
        try await gate.withExclusive {
            _ = try await ungatedRows("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(SQLiteTransaction(store: self))
                _ = try await ungatedRows("COMMIT", [])
                return result
            } catch {
                _ = try? await ungatedRows("ROLLBACK", [])
                throw error
            }
        }
    }
}

/// The statements of a transaction in progress (`SQLiteTaskStore.withTransaction`).
struct SQLiteTransaction {
    fileprivate let store: SQLiteTaskStore

    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await store.ungatedRows(sql, binds)
    }

    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        _ = try await store.ungatedRows(sql, binds)
    }
}

extension SQLiteRow {
    func text(_ name: String) throws -> String {
        guard let value = column(name)?.string else { throw missing(name) }
        return value
    }

    func int(_ name: String) throws -> Int {
        guard let value = column(name)?.integer else { throw missing(name) }
        return value
    }

    func uuid(_ name: String) throws -> UUID {
        guard let text = column(name)?.string, let value = UUID(canonicalText: text) else { throw missing(name) }
        return value
    }

    private func missing(_ name: String) -> StoreUnavailable {
        StoreUnavailable(operation: "read", cause: "column \(name) is missing or malformed")
    }
}
