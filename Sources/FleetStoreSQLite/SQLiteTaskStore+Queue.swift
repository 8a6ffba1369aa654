import FleetModel
import FleetStore
import Foundation
import JSON
import SQLiteNIO

extension SQLiteTaskStore {
    public func insertTask(_ task: NewTask, at now: Timestamp) async throws -> TaskRecord? {
        let expires = task.ttlSeconds.map { SQLiteData.integer(Int(now.adding(seconds: Double($0)).microsecondsSinceEpoch)) } ?? .null
        return try await rows(
            """
            INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires, route, locations, run_rule)
            SELECT ?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?7, ?8, ?10, ?11, ?12
            WHERE NOT EXISTS (SELECT 1 FROM task_types WHERE type = ?3 AND version = ?4 AND updated IS NOT ?9)
            ON CONFLICT (id) DO NOTHING RETURNING *
            """,
            [.text(task.id.canonical), .text(task.testID.canonical), .text(task.type), .integer(Int(task.version)),
             task.dataJSON.map { .text($0) } ?? .null, .integer(Int(now.microsecondsSinceEpoch)),
             task.ttlSeconds.map { .integer(Int($0)) } ?? .null, expires,
             task.schemaCheckedAgainst.map { .integer(Int($0.microsecondsSinceEpoch)) } ?? .null,
             .text(TaskRoute.route(of: task.locations)), TaskRoute.stored(task.locations).map { .text($0) } ?? .null,
             task.runRule.map { .text($0.storedText) } ?? .null]
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

        // Bound after the capabilities: each route, then the LIKE patterns of a task of several locations (none
        // when the agent takes only tasks for anywhere).
        let lookup = TaskRoute.lookup(for: poll.location)
        let (routes, patterns) = (lookup.routes, lookup.patterns)
        let claimed = try await rows(
            """
            UPDATE tasks SET state = 'claimed', agent_id = ?1, claimed = ?2
            WHERE seq IN (\(Self.claimable(capabilities: poll.capabilities.count, routes: routes.count, patterns: patterns.count)))
            RETURNING seq, id, type, version, data, created
            """,
            [agentID, seen, .integer(poll.maxTasks)] + poll.capabilities.flatMap { [.text($0.type), .integer(Int($0.version))] }
                + routes.map { .text($0) } + patterns.map { .text($0) })
        return try claimed
            .sorted { ($0.column("seq")?.integer ?? 0) < ($1.column("seq")?.integer ?? 0) }
            .map { row in
                ClaimedTask(
                    id: try row.uuid("id"), type: try row.text("type"), version: Int64(try row.int("version")),
                    dataJSON: row.column("data")?.string,
                    created: row.column("created")?.integer.map { Timestamp(microsecondsSinceEpoch: Int64($0)) })
            }
    }

    /// The most capabilities a claim looks up one by one; SQLite allows 500 terms in one compound SELECT, and each
    /// capability takes one per route (at most four).
    static let capabilitiesLookedUpOneByOne = 100

    /// The seqs of the oldest waiting tasks (at most ?3, not expired at ?2) of the capabilities bound from ?4 on, a
    /// type and a version each, on the `routes` bound after them, a task of several locations only when its list
    /// matches one of the `patterns` bound last (see `TaskRoute`). Each capability's tasks on each route are read in
    /// order through the tasks_claimable_routed index (type, version, route, seq), then the oldest of those are
    /// taken: one condition for all capabilities, (type, version) IN (…), is read through the index by type alone
    /// and sorted, or walks the whole table in seq order (200 ms behind 1,000,000 waiting tasks of another type,
    /// against under a millisecond). An agent with more capabilities than the compound SELECT allows gets that one
    /// condition.
    static func claimable(capabilities: Int, routes: Int, patterns: Int) -> String {
        let capability = { (index: Int) in (type: "?\(4 + 2 * index)", version: "?\(5 + 2 * index)") }
        let firstRoute = 4 + 2 * capabilities
        let routeParameters = (0..<routes).map { "?\(firstRoute + $0)" }
        let patternParameters = (0..<patterns).map { "?\(firstRoute + routes + $0)" }
        let severalMatch = patternParameters.isEmpty
            ? "route <> '+'" : "(route <> '+' OR " + patternParameters.map { "locations LIKE \($0)" }.joined(separator: " OR ") + ")"
        guard capabilities <= capabilitiesLookedUpOneByOne else {
            let pairs = (0..<capabilities).map(capability).map { "(\($0.type), \($0.version))" }.joined(separator: ", ")
            return """
                SELECT seq FROM tasks
                WHERE state = 'waiting' AND (type, version) IN (VALUES \(pairs)) AND route IN (\(routeParameters.joined(separator: ", ")))
                  AND \(severalMatch) AND (expires IS NULL OR expires > ?2)
                ORDER BY seq LIMIT ?3
                """
        }
        let each = (0..<capabilities).map(capability).flatMap { capability in
            routeParameters.map { route in
                """
                SELECT seq FROM (
                    SELECT seq FROM tasks
                    WHERE state = 'waiting' AND type = \(capability.type) AND version = \(capability.version) AND route = \(route)
                      AND \(severalMatch) AND (expires IS NULL OR expires > ?2)
                    ORDER BY seq LIMIT ?3)
                """
            }
        }
        return "SELECT seq FROM (\(each.joined(separator: " UNION ALL "))) ORDER BY seq LIMIT ?3"
    }

    public func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, resultCheckedAgainst: Timestamp?
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
                  AND NOT EXISTS (
                      SELECT 1 FROM task_types t
                      WHERE t.type = tasks.type AND t.version = tasks.version AND t.result_schema IS NOT NULL
                        AND t.updated IS NOT ?5)
                RETURNING seq
                """, [time, .text(json), .text(id.canonical), holder,
                   resultCheckedAgainst.map { .integer(Int($0.microsecondsSinceEpoch)) } ?? .null])
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
        case .claimed where outcome.isResult && (agentID == nil || current.agentID == agentID):
            // Claimed and held by this agent: the result schema is what stopped it.
            return false
        case .claimed: throw FleetError.taskHeldByAnotherAgent(id)
        default: throw FleetError.taskAlreadyFinished(id, current.state)
        }
    }
}
