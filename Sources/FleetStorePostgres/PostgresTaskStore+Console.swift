import FleetModel
import FleetStore
import JSON
import PostgresNIO

extension PostgresTaskStore: ConsoleBook {
    public func taskCounts() async throws -> TaskCounts {
        try await guarded("task counts") {
            var counts = TaskCounts()
            // Through tasks_by_state: an index-only scan once the table is vacuumed.
            for try await (state, count) in try await self.client.query(
                "SELECT state, count(*) FROM tasks GROUP BY state", logger: self.logger
            ).decode((String, Int64).self) {
                if let state = TaskState(rawValue: state) { counts.byState[state] = Int(count) }
            }
            for try await oldest in try await self.client.query(
                "SELECT min(created) FROM tasks WHERE state = 'waiting'", logger: self.logger
            ).decode(Timestamp?.self) {
                counts.oldestWaiting = oldest
            }
            return counts
        }
    }

    public func waitingGroups(limit: Int) async throws -> [WaitingGroup] {
        try await guarded("waiting groups") {
            var groups: [WaitingGroup] = []
            for try await (type, version, locations, count, oldest) in try await self.client.query(
                """
                SELECT type, version, locations, count(*), min(created) FROM tasks WHERE state = 'waiting'
                GROUP BY type, version, locations ORDER BY count(*) DESC, type, version LIMIT \(limit)
                """, logger: self.logger
            ).decode((String, Int64, String?, Int64, Timestamp).self) {
                groups.append(
                    WaitingGroup(
                        type: type, version: version, locations: TaskRoute.locations(stored: locations), count: Int(count),
                        oldestCreated: oldest))
            }
            return groups
        }
    }

    public func agentCounts(activeSince: Timestamp) async throws -> AgentCounts {
        try await guarded("agent counts") {
            var counts = AgentCounts(known: 0, active: 0)
            for try await (known, active) in try await self.client.query(
                "SELECT count(*), count(*) FILTER (WHERE last_seen >= \(activeSince)) FROM agents", logger: self.logger
            ).decode((Int64, Int64).self) {
                counts = AgentCounts(known: Int(known), active: Int(active))
            }
            return counts
        }
    }

    public func activeAgentKinds(activeSince: Timestamp) async throws -> [AgentKind] {
        try await guarded("agent kinds") {
            var kinds: [AgentKind] = []
            for try await (capabilities, location) in try await self.client.query(
                "SELECT DISTINCT capabilities, location FROM agents WHERE last_seen >= \(activeSince)", logger: self.logger
            ).decode((String, String?).self) {
                kinds.append(AgentKind(capabilities: StoredJSON.parseCapabilities(capabilities), location: StoredJSON.parseLocation(location)))
            }
            return kinds
        }
    }

    public func saveSession(_ session: ConsoleSession, at now: Timestamp) async throws {
        try await guarded("session save") {
            try await self.client.query(
                """
                WITH expired AS (DELETE FROM console_sessions WHERE expires < \(now))
                INSERT INTO console_sessions (key_hash, role, csrf_token, created, expires)
                VALUES (\(session.keyHash), \(session.role.rawValue), \(session.csrfToken), \(session.created), \(session.expires))
                """, logger: self.logger)
        }
    }

    public func session(keyHash: String, at now: Timestamp) async throws -> ConsoleSession? {
        try await guarded("session read") {
            var found: ConsoleSession?
            for try await (role, csrf, created, expires) in try await self.client.query(
                """
                SELECT role, csrf_token, created, expires FROM console_sessions WHERE key_hash = \(keyHash) AND expires >= \(now)
                """, logger: self.logger
            ).decode((String, String, Timestamp, Timestamp).self) {
                guard let role = ConsoleSession.Role(rawValue: role) else { continue }
                found = ConsoleSession(keyHash: keyHash, role: role, csrfToken: csrf, created: created, expires: expires)
            }
            return found
        }
    }

    public func deleteSession(keyHash: String) async throws {
        try await guarded("session delete") {
            try await self.client.query("DELETE FROM console_sessions WHERE key_hash = \(keyHash)", logger: self.logger)
        }
    }
}
