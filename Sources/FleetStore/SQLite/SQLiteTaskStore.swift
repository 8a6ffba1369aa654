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
        for table in ["tasks", "agents", "task_types", "afm_schema"] {
            try await execute("DROP TABLE IF EXISTS \(table)")
        }
    }

    // MARK: Tasks

    public func insertTask(_ task: NewTask, at now: Timestamp, unlessTaskTypeRegistered: Bool) async throws -> TaskRecord? {
        let expires = task.ttlSeconds.map { SQLiteData.integer(Int(now.adding(seconds: Double($0)).microsecondsSinceEpoch)) } ?? .null
        return try await rows(
            """
            INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires)
            SELECT ?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?7, ?8
            WHERE NOT (?9 AND EXISTS (SELECT 1 FROM task_types WHERE type = ?3 AND version = ?4))
            ON CONFLICT (id) DO NOTHING RETURNING *
            """,
            [.text(task.id.canonical), .text(task.testID.canonical), .text(task.type), .integer(Int(task.version)),
             task.dataJSON.map { .text($0) } ?? .null, .integer(Int(now.microsecondsSinceEpoch)),
             task.ttlSeconds.map { .integer(Int($0)) } ?? .null, expires, .integer(unlessTaskTypeRegistered ? 1 : 0)]
        ).first.map(Self.taskRecord)
    }

    public func cancelTask(id: UUID, at now: Timestamp) async throws -> TaskRecord {
        let cancelled = try await rows(
            """
            UPDATE tasks SET state = 'cancelled', failed = ?, error = 'cancelled'
            WHERE id = ? AND state IN ('waiting', 'claimed') RETURNING *
            """, [.integer(Int(now.microsecondsSinceEpoch)), .text(id.canonical)])
        if let record = try cancelled.first.map(Self.taskRecord) { return record }
        guard let existing = try await task(id: id) else { throw FleetError.taskNotFound(id) }
        throw FleetError.taskAlreadyFinished(id, existing.state)
    }

    public func listTasks(_ query: TaskQuery) async throws -> TaskPage {
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        func add(_ condition: String, _ value: SQLiteData) {
            conditions.append(condition)
            binds.append(value)
        }
        if let state = query.state { add("state = ?", .text(state.rawValue)) }
        if let type = query.type { add("type = ?", .text(type)) }
        if let version = query.version { add("version = ?", .integer(Int(version))) }
        if let testID = query.testID { add("test_id = ?", .text(testID.canonical)) }
        if let agentID = query.agentID { add("agent_id = ?", .text(agentID.canonical)) }
        if let after = query.createdAfter { add("created >= ?", .integer(Int(after.microsecondsSinceEpoch))) }
        if let before = query.createdBefore { add("created < ?", .integer(Int(before.microsecondsSinceEpoch))) }
        if let cursor = query.afterSequence { add("seq > ?", .integer(Int(cursor))) }
        binds.append(.integer(query.limit + 1))
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let found = try await rows("SELECT * FROM tasks \(whereClause) ORDER BY seq LIMIT ?", binds).map(Self.taskRecord)
        let page = Array(found.prefix(query.limit))
        return TaskPage(tasks: page, nextCursor: found.count > query.limit ? page.last?.sequence : nil)
    }

    public func sweep(at now: Timestamp, agentSeenSince: Timestamp, claimedBefore: Timestamp?, maxAttempts: Int) async throws -> SweepReport {
        let time = SQLiteData.integer(Int(now.microsecondsSinceEpoch))
        let seen = SQLiteData.integer(Int(agentSeenSince.microsecondsSinceEpoch))
        let runDeadline = claimedBefore.map { SQLiteData.integer(Int($0.microsecondsSinceEpoch)) } ?? .null
        let expired = try await rows(
            """
            UPDATE tasks SET state = 'expired', failed = expires, error = 'expired'
            WHERE state = 'waiting' AND expires IS NOT NULL AND expires <= ? RETURNING seq
            """, [time]).count
        // Abandoned: its agent is lost, or its run has taken longer than the bound (?4, NULL when there is none).
        let lostAgent = "agent_id IN (SELECT id FROM agents WHERE last_seen < ?3)"
        let abandoned = "(\(lostAgent) OR claimed < ?4)"
        let lost = try await rows(
            """
            UPDATE tasks SET state = 'failed', failed = ?1, attempts = attempts + 1,
                error = CASE WHEN \(lostAgent) THEN 'agent lost' ELSE 'run timed out' END
            WHERE state = 'claimed' AND attempts + 1 >= ?2 AND \(abandoned) RETURNING seq
            """, [time, .integer(maxAttempts), seen, runDeadline]).count
        let handedBack = try await rows(
            """
            UPDATE tasks SET state = 'waiting', agent_id = NULL, claimed = NULL, attempts = attempts + 1
            WHERE state = 'claimed' AND \(abandoned) RETURNING seq
            """, [time, .integer(maxAttempts), seen, runDeadline]).count
        return SweepReport(expired: expired, handedBack: handedBack, lost: lost)
    }

    public func poll(_ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double) async throws -> [ClaimedTask] {
        let seen = SQLiteData.integer(Int(now.microsecondsSinceEpoch))
        let agentID = SQLiteData.text(poll.agentID.canonical)
        try await execute(
            """
            INSERT INTO agents (id, name, last_seen, capabilities, location) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen,
                capabilities = excluded.capabilities, location = excluded.location
            WHERE agents.last_seen <= excluded.last_seen - ?6 OR agents.name IS NOT excluded.name
               OR agents.capabilities IS NOT excluded.capabilities OR agents.location IS NOT excluded.location
            """,
            [agentID, .text(poll.name), seen, .text(StoredJSON.capabilities(poll.capabilities)),
             poll.location.map { .text(StoredJSON.location($0)) } ?? .null, .integer(Int(lastSeenResolution * 1_000_000))])
        guard poll.maxTasks > 0, !poll.capabilities.isEmpty else { return [] }

        let claimed = try await rows(
            """
            UPDATE tasks SET state = 'claimed', agent_id = ?1, claimed = ?2
            WHERE seq IN (\(Self.claimable(capabilities: poll.capabilities.count)))
            RETURNING seq, id, type, version, data
            """, [agentID, seen, .integer(poll.maxTasks)] + poll.capabilities.flatMap { [.text($0.type), .integer(Int($0.version))] })
        return try claimed
            .sorted { ($0.column("seq")?.integer ?? 0) < ($1.column("seq")?.integer ?? 0) }
            .map { row in
                ClaimedTask(
                    id: try row.uuid("id"), type: try row.text("type"), version: Int64(try row.int("version")),
                    dataJSON: row.column("data")?.string)
            }
    }

    /// The most capabilities a claim looks up one by one; SQLite allows 500 terms in one compound SELECT.
    static let capabilitiesLookedUpOneByOne = 100

    /// The seqs of the oldest waiting tasks (at most ?3, not expired at ?2) of the capabilities bound from ?4 on, a
    /// type and a version each. Each capability's are read in order through the tasks_claimable index (type,
    /// version, seq), then the oldest of those are taken: one condition for all capabilities, (type, version) IN (…),
    /// is read through the index by type alone and sorted, or walks the whole table in seq order (200 ms behind
    /// 1,000,000 waiting tasks of another type, against under a millisecond). An agent with more capabilities than
    /// the compound SELECT allows gets that one condition.
    static func claimable(capabilities: Int) -> String {
        let capability = { (index: Int) in (type: "?\(4 + 2 * index)", version: "?\(5 + 2 * index)") }
        guard capabilities <= capabilitiesLookedUpOneByOne else {
            let pairs = (0..<capabilities).map(capability).map { "(\($0.type), \($0.version))" }.joined(separator: ", ")
            return """
                SELECT seq FROM tasks
                WHERE state = 'waiting' AND (type, version) IN (VALUES \(pairs)) AND (expires IS NULL OR expires > ?2)
                ORDER BY seq LIMIT ?3
                """
        }
        let each = (0..<capabilities).map(capability).map {
            """
            SELECT seq FROM (
                SELECT seq FROM tasks
                WHERE state = 'waiting' AND type = \($0.type) AND version = \($0.version) AND (expires IS NULL OR expires > ?2)
                ORDER BY seq LIMIT ?3)
            """
        }
        return "SELECT seq FROM (\(each.joined(separator: " UNION ALL "))) ORDER BY seq LIMIT ?3"
    }

    public func recordAgents(_ sightings: [AgentSighting]) async throws {
        // At most 5,000 agents a statement: SQLite caps a statement's parameters at 32,766.
        let perStatement = 5_000
        for start in stride(from: 0, to: sightings.count, by: perStatement) {
            let chunk = sightings[start..<min(start + perStatement, sightings.count)]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(chunk.count * 5)
            for sighting in chunk {
                binds.append(.text(sighting.agentID.canonical))
                binds.append(.text(sighting.name))
                binds.append(.integer(Int(sighting.lastSeen.microsecondsSinceEpoch)))
                binds.append(.text(StoredJSON.capabilities(sighting.capabilities)))
                binds.append(sighting.location.map { .text(StoredJSON.location($0)) } ?? .null)
            }
            try await execute(
                """
                INSERT INTO agents (id, name, last_seen, capabilities, location)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen,
                    capabilities = excluded.capabilities, location = excluded.location
                WHERE agents.last_seen <= excluded.last_seen
                """, binds)
        }
    }

    public func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, unlessResultSchema: Bool
    ) async throws -> Bool {
        let time = SQLiteData.integer(Int(now.microsecondsSinceEpoch))
        let holder: SQLiteData = agentID.map { .text($0.canonical) } ?? .null
        let updated: [SQLiteRow]
        switch outcome {
        case .result(let json):
            updated = try await rows(
                """
                UPDATE tasks SET state = 'completed', completed = ?, result = ?
                WHERE id = ? AND state = 'claimed' AND (?4 IS NULL OR agent_id = ?4)
                  AND NOT (?5 AND EXISTS (
                      SELECT 1 FROM task_types t
                      WHERE t.type = tasks.type AND t.version = tasks.version AND t.result_schema IS NOT NULL))
                RETURNING seq
                """, [time, .text(json), .text(id.canonical), holder, .integer(unlessResultSchema ? 1 : 0)])
        case .error(let message):
            updated = try await rows(
                """
                UPDATE tasks SET state = 'failed', failed = ?, error = ?
                WHERE id = ? AND state = 'claimed' AND (?4 IS NULL OR agent_id = ?4) RETURNING seq
                """, [time, .text(message), .text(id.canonical), holder])
        }
        guard updated.isEmpty else { return true }
        // Nothing changed: find out why, for a precise error.
        guard let current = try await task(id: id) else { throw FleetError.taskNotFound(id) }
        switch current.state {
        case .waiting: throw FleetError.taskNotClaimed(id)
        case .claimed where unlessResultSchema && outcome.isResult && (agentID == nil || current.agentID == agentID):
            // Claimed and held by this agent: the result schema is what stopped it.
            return false
        case .claimed: throw FleetError.taskHeldByAnotherAgent(id)
        default: throw FleetError.taskAlreadyFinished(id, current.state)
        }
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

    public func agents(limit: Int) async throws -> [AgentRecord] {
        try await agentRecords(try await rows("SELECT * FROM agents ORDER BY last_seen DESC, id LIMIT ?", [.integer(limit)]))
    }

    public func agent(id: UUID) async throws -> AgentRecord? {
        try await agentRecords(try await rows("SELECT * FROM agents WHERE id = ?", [.text(id.canonical)])).first
    }

    private func agentRecords(_ agentRows: [SQLiteRow]) async throws -> [AgentRecord] {
        var records: [AgentRecord] = []
        for row in agentRows {
            let agentID = try row.text("id")
            let held = try await rows("SELECT id FROM tasks WHERE state = 'claimed' AND agent_id = ? ORDER BY seq", [.text(agentID)])
            records.append(
                AgentRecord(
                    id: try row.uuid("id"), name: try row.text("name"),
                    lastSeen: Timestamp(microsecondsSinceEpoch: Int64(try row.int("last_seen"))),
                    capabilities: StoredJSON.parseCapabilities(try row.text("capabilities")),
                    location: StoredJSON.parseLocation(row.column("location")?.string),
                    tasksInHand: try held.map { try $0.uuid("id") }))
        }
        return records
    }

    // MARK: Task types

    public func putTaskType(_ taskType: TaskTypeRecord) async throws -> Bool {
        let existed = try await rows(
            "SELECT 1 AS found FROM task_types WHERE type = ? AND version = ?",
            [.text(taskType.type), .integer(Int(taskType.version))]).isEmpty == false
        try await execute(
            """
            INSERT INTO task_types (type, version, task_schema, result_schema, created, updated) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (type, version) DO UPDATE SET task_schema = excluded.task_schema,
                result_schema = excluded.result_schema, updated = excluded.updated
            """,
            [.text(taskType.type), .integer(Int(taskType.version)), .text(taskType.taskSchemaJSON),
             taskType.resultSchemaJSON.map { .text($0) } ?? .null, .integer(Int(taskType.created.microsecondsSinceEpoch)),
             .integer(Int(taskType.updated.microsecondsSinceEpoch))])
        return !existed
    }

    public func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord? {
        try await rows("SELECT * FROM task_types WHERE type = ? AND version = ?", [.text(type), .integer(Int(version))])
            .first.map(Self.taskTypeRecord)
    }

    public func taskTypes() async throws -> [TaskTypeRecord] {
        try await rows("SELECT * FROM task_types ORDER BY type, version").map(Self.taskTypeRecord)
    }

    public func deleteTaskType(_ type: String, version: Int64) async throws -> Bool {
        !(try await rows("DELETE FROM task_types WHERE type = ? AND version = ? RETURNING type", [.text(type), .integer(Int(version))]).isEmpty)
    }

    private static func taskTypeRecord(_ row: SQLiteRow) throws -> TaskTypeRecord {
        TaskTypeRecord(
            type: try row.text("type"), version: Int64(try row.int("version")), taskSchemaJSON: try row.text("task_schema"),
            resultSchemaJSON: row.column("result_schema")?.string,
            created: Timestamp(microsecondsSinceEpoch: Int64(try row.int("created"))),
            updated: Timestamp(microsecondsSinceEpoch: Int64(try row.int("updated"))))
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
            agentID: row.column("agent_id")?.string.flatMap(UUID.init(canonicalText:)),
            created: time("created") ?? Timestamp(microsecondsSinceEpoch: 0), claimed: time("claimed"),
            completed: time("completed"), failed: time("failed"), resultJSON: row.column("result")?.string,
            error: row.column("error")?.string, attempts: row.column("attempts")?.integer ?? 0,
            ttlSeconds: row.column("ttl")?.integer.map(Int64.init), expires: time("expires"),
            sequence: Int64(row.column("seq")?.integer ?? 0))
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
        guard let text = column(name)?.string, let value = UUID(canonicalText: text) else { throw missing(name) }
        return value
    }

    private func missing(_ name: String) -> StoreUnavailable {
        StoreUnavailable(operation: "read", cause: "column \(name) is missing or malformed")
    }
}
