import FleetModel
import Foundation
import Logging
import SQLiteNIO
import ServiceLifecycle

/// The embedded store: one SQLite file (or memory), one connection, WAL journal.
///
/// SQLite has a single writer, so every statement here is self-contained and atomic: a poll's claim is one
/// `UPDATE … RETURNING`, and no transaction spans two statements except migrations, which run before serving.
/// Commits are durable against a crash of `afm` (WAL, `synchronous = NORMAL`); for durability against power loss
/// of the whole machine, use PostgreSQL.
public final class SQLiteTaskStore: TaskStore {
    public let engine = "sqlite"
    private let connection: SQLiteConnection
    private let logger: Logger

    private init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Opens (creating if needed) the database file at `path`, or an in-memory database when `path` is nil.
    public static func open(path: String?, logger: Logger) async throws -> SQLiteTaskStore {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: path.map { .file(path: $0) } ?? .memory, logger: logger)
        } catch {
            throw StoreUnavailable(operation: "open of \(path ?? ":memory:")", cause: "\(error)")
        }
        let store = SQLiteTaskStore(connection: connection, logger: logger)
        if path != nil {
            _ = try await store.rows("PRAGMA journal_mode = WAL")
        }
        try await store.execute("PRAGMA synchronous = NORMAL")
        try await store.execute("PRAGMA foreign_keys = ON")
        return store
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    public func close() async throws {
        guard !connection.isClosed else { return }
        try await connection.close()
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
        for table in ["tasks", "agents", "afm_schema"] {
            try await execute("DROP TABLE IF EXISTS \(table)")
        }
    }

    // MARK: Tasks

    public func createTask(_ task: NewTask, at now: Timestamp) async throws {
        let inserted = try await rows(
            """
            INSERT INTO tasks (id, test_id, type, version, data, state, created) VALUES (?, ?, ?, ?, ?, 'waiting', ?)
            ON CONFLICT (id) DO NOTHING RETURNING seq
            """,
            [.text(task.id.canonical), .text(task.testID.canonical), .text(task.type), .integer(Int(task.version)),
             task.dataJSON.map { .text($0) } ?? .null, .integer(Int(now.microsecondsSinceEpoch))])
        if inserted.isEmpty { throw FleetError.taskAlreadyExists(task.id) }
    }

    public func poll(_ poll: AgentPoll, at now: Timestamp) async throws -> [ClaimedTask] {
        let seen = SQLiteData.integer(Int(now.microsecondsSinceEpoch))
        let agentID = SQLiteData.text(poll.agentID.canonical)
        try await execute(
            """
            INSERT INTO agents (id, name, last_seen, capabilities, location) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen,
                capabilities = excluded.capabilities, location = excluded.location
            """,
            [agentID, .text(poll.name), seen, .text(StoredJSON.capabilities(poll.capabilities)),
             poll.location.map { .text(StoredJSON.location($0)) } ?? .null])
        guard poll.maxTasks > 0, !poll.capabilities.isEmpty else { return [] }

        let capabilityRows = Array(repeating: "(?, ?)", count: poll.capabilities.count).joined(separator: ", ")
        var binds: [SQLiteData] = [agentID, seen]
        for capability in poll.capabilities {
            binds.append(.text(capability.type))
            binds.append(.integer(Int(capability.version)))
        }
        binds.append(.integer(poll.maxTasks))
        let claimed = try await rows(
            """
            UPDATE tasks SET state = 'claimed', agent_id = ?, claimed = ?
            WHERE seq IN (
                SELECT seq FROM tasks
                WHERE state = 'waiting' AND (type, version) IN (VALUES \(capabilityRows))
                ORDER BY seq LIMIT ?)
            RETURNING seq, id, type, version, data
            """, binds)
        return try claimed
            .sorted { ($0.column("seq")?.integer ?? 0) < ($1.column("seq")?.integer ?? 0) }
            .map { row in
                ClaimedTask(
                    id: try row.uuid("id"), type: try row.text("type"), version: Int64(try row.int("version")),
                    dataJSON: row.column("data")?.string)
            }
    }

    public func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, at now: Timestamp) async throws {
        let time = SQLiteData.integer(Int(now.microsecondsSinceEpoch))
        let updated: [SQLiteRow]
        switch outcome {
        case .result(let json):
            updated = try await rows(
                "UPDATE tasks SET state = 'completed', completed = ?, result = ? WHERE id = ? AND state = 'claimed' RETURNING seq",
                [time, .text(json), .text(id.canonical)])
        case .error(let message):
            updated = try await rows(
                "UPDATE tasks SET state = 'failed', failed = ?, error = ? WHERE id = ? AND state = 'claimed' RETURNING seq",
                [time, .text(message), .text(id.canonical)])
        }
        guard updated.isEmpty else { return }
        // Nothing changed: find out why, for a precise error.
        let current = try await rows("SELECT state FROM tasks WHERE id = ?", [.text(id.canonical)])
        guard let stateText = current.first?.column("state")?.string, let state = TaskState(rawValue: stateText) else {
            throw FleetError.taskNotFound(id)
        }
        throw state == .waiting ? FleetError.taskNotClaimed(id) : FleetError.taskAlreadyFinished(id, state)
    }

    public func task(id: UUID) async throws -> TaskRecord? {
        try await rows("SELECT * FROM tasks WHERE id = ?", [.text(id.canonical)]).first.map(Self.taskRecord)
    }

    // MARK: Fleet views

    public func status(activeSince: Timestamp) async throws -> FleetStatus {
        let row = try await rows(
            """
            SELECT (SELECT COUNT(*) FROM agents WHERE last_seen >= ?) AS agents,
                   (SELECT COUNT(*) FROM tasks WHERE state = 'waiting') AS waiting
            """, [.integer(Int(activeSince.microsecondsSinceEpoch))]).first
        return FleetStatus(activeAgents: try row?.int("agents") ?? 0, waitingTasks: try row?.int("waiting") ?? 0)
    }

    public func dashboard(limits: DashboardLimits) async throws -> DashboardSnapshot {
        let unassigned = try await rows(
            "SELECT * FROM tasks WHERE state = 'waiting' ORDER BY seq DESC LIMIT ?", [.integer(limits.unassignedTasks)])
            .map(Self.taskRecord)
        var agents: [AgentSummary] = []
        for row in try await rows("SELECT * FROM agents ORDER BY last_seen DESC, id LIMIT ?", [.integer(limits.agents)]) {
            let agentID = try row.text("id")
            let tasks = try await rows(
                "SELECT * FROM tasks WHERE agent_id = ? ORDER BY seq DESC LIMIT ?",
                [.text(agentID), .integer(limits.tasksPerAgent)]
            ).map(Self.taskRecord)
            agents.append(
                AgentSummary(
                    id: try row.uuid("id"), name: try row.text("name"),
                    lastSeen: Timestamp(microsecondsSinceEpoch: Int64(try row.int("last_seen"))),
                    capabilities: StoredJSON.parseCapabilities(try row.text("capabilities")), tasks: tasks))
        }
        return DashboardSnapshot(unassignedTasks: unassigned, agents: agents)
    }

    // MARK: Plumbing

    private static func taskRecord(_ row: SQLiteRow) throws -> TaskRecord {
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
            agentID: row.column("agent_id")?.string.flatMap(UUID.init(uuidString:)),
            created: time("created") ?? Timestamp(microsecondsSinceEpoch: 0), claimed: time("claimed"),
            completed: time("completed"), failed: time("failed"), resultJSON: row.column("result")?.string,
            error: row.column("error")?.string)
    }

    private func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        _ = try await rows(sql, binds)
    }

    private func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch {
            throw StoreUnavailable(operation: "statement", cause: "\(error)")
        }
    }
}

extension SQLiteRow {
    fileprivate func text(_ name: String) throws -> String {
        guard let value = column(name)?.string else { throw missing(name) }
        return value
    }

    fileprivate func int(_ name: String) throws -> Int {
        guard let value = column(name)?.integer else { throw missing(name) }
        return value
    }

    fileprivate func uuid(_ name: String) throws -> UUID {
        guard let text = column(name)?.string, let value = UUID(uuidString: text) else { throw missing(name) }
        return value
    }

    private func missing(_ name: String) -> StoreUnavailable {
        StoreUnavailable(operation: "read", cause: "column \(name) is missing or malformed")
    }
}
