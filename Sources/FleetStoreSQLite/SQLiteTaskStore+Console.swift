import FleetModel
import FleetStore
import JSON
import SQLiteNIO

extension SQLiteTaskStore: ConsoleBook {
    public func taskCounts() async throws -> TaskCounts {
        var counts = TaskCounts()
        // Through tasks_by_state: the index alone, no table rows.
        for row in try await rows("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state") {
            if let state = TaskState(rawValue: try row.text("state")) { counts.byState[state] = try row.int("n") }
        }
        let oldest = try await rows("SELECT MIN(created) AS oldest FROM tasks WHERE state = 'waiting'").first
        counts.oldestWaiting = oldest?.column("oldest")?.integer.map(Self.timestamp)
        return counts
    }

    public func waitingGroups(limit: Int) async throws -> [WaitingGroup] {
        try await rows(
            """
            SELECT type, version, locations, COUNT(*) AS n, MIN(created) AS oldest FROM tasks WHERE state = 'waiting'
            GROUP BY type, version, locations ORDER BY n DESC, type, version LIMIT ?
            """, [.integer(limit)]
        ).map { row in
            WaitingGroup(
                type: try row.text("type"), version: Int64(try row.int("version")),
                locations: TaskRoute.locations(stored: row.column("locations")?.string), count: try row.int("n"),
                oldestCreated: Self.timestamp(try row.int("oldest")))
        }
    }

    public func agentCounts(activeSince: Timestamp) async throws -> AgentCounts {
        let row = try await rows(
            "SELECT COUNT(*) AS known, COALESCE(SUM(last_seen >= ?), 0) AS active FROM agents", [Self.time(activeSince)]
        ).first
        return AgentCounts(known: try row?.int("known") ?? 0, active: try row?.int("active") ?? 0)
    }

    public func activeAgentKinds(activeSince: Timestamp) async throws -> [AgentKind] {
        try await rows("SELECT DISTINCT capabilities, location FROM agents WHERE last_seen >= ?", [Self.time(activeSince)]).map { row in
            AgentKind(
                capabilities: StoredJSON.parseCapabilities(try row.text("capabilities")),
                location: StoredJSON.parseLocation(row.column("location")?.string))
        }
    }

    public func saveSession(_ session: ConsoleSession, at now: Timestamp) async throws {
        try await withTransaction { transaction in
            try await transaction.execute("DELETE FROM console_sessions WHERE expires < ?", [Self.time(now)])
            try await transaction.execute(
                "INSERT INTO console_sessions (key_hash, role, csrf_token, created, expires) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(session.keyHash), .text(session.role.rawValue), .text(session.csrfToken), Self.time(session.created),
                    Self.time(session.expires),
                ])
        }
    }

    public func session(keyHash: String, at now: Timestamp) async throws -> ConsoleSession? {
        guard let row = try await rows(
            "SELECT * FROM console_sessions WHERE key_hash = ? AND expires >= ?", [.text(keyHash), Self.time(now)]
        ).first, let role = ConsoleSession.Role(rawValue: try row.text("role"))
        else { return nil }
        return ConsoleSession(
            keyHash: keyHash, role: role, csrfToken: try row.text("csrf_token"), created: Self.timestamp(try row.int("created")),
            expires: Self.timestamp(try row.int("expires")))
    }

    public func deleteSession(keyHash: String) async throws {
        try await execute("DELETE FROM console_sessions WHERE key_hash = ?", [.text(keyHash)])
    }
}
