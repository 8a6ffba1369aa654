import FleetModel
import FleetStore
import Foundation
import JSON
import SQLiteNIO

extension SQLiteTaskStore {
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
        if let location = query.location { add("locations LIKE ?", .text("%,\(location),%")) }
        if let cursor = query.afterSequence { add(query.newestFirst ? "seq < ?" : "seq > ?", .integer(Int(cursor))) }
        binds.append(.integer(query.limit + 1))
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let order = query.newestFirst ? "seq DESC" : "seq"
        let found = try await rows("SELECT * FROM tasks \(whereClause) ORDER BY \(order) LIMIT ?", binds).map(Self.taskRecord)
        let page = Array(found.prefix(query.limit))
        return TaskPage(tasks: page, nextCursor: found.count > query.limit ? page.last?.sequence : nil)
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

    public func task(id: UUID) async throws -> TaskRecord? {
        try await rows("SELECT * FROM tasks WHERE id = ?", [.text(id.canonical)]).first.map(Self.taskRecord)
    }


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

    public func agents(limit: Int, in place: LocationCode?) async throws -> [AgentRecord] {
        guard let place else {
            return try await agentRecords(try await rows("SELECT * FROM agents ORDER BY last_seen DESC, id LIMIT ?", [.integer(limit)]))
        }
        // The location is stored as its JSON text; an operator's filter reads every agent's.
        return try await agentRecords(
            try await rows(
                """
                SELECT * FROM agents
                WHERE json_extract(location, '$.country') = ?1 AND (?2 IS NULL OR json_extract(location, '$.region') = ?2)
                ORDER BY last_seen DESC, id LIMIT ?3
                """, [.text(place.country), place.region.map { .text($0) } ?? .null, .integer(limit)]))
    }

    public func agentPage(after: UUID?, limit: Int, in place: LocationCode?) async throws -> [AgentRecord] {
        // Ids are stored as canonical lower-case text, whose order is the UUIDs' byte order, as PostgreSQL sorts them.
        try await agentRecords(
            try await rows(
                """
                SELECT * FROM agents
                WHERE (?1 IS NULL OR id > ?1)
                  AND (?2 IS NULL OR json_extract(location, '$.country') = ?2)
                  AND (?3 IS NULL OR json_extract(location, '$.region') = ?3)
                ORDER BY id LIMIT ?4
                """,
                [after.map { .text($0.canonical) } ?? .null, place.map { .text($0.country) } ?? .null,
                 place?.region.map { .text($0) } ?? .null, .integer(limit)]))
    }

    public func locatedAgents(activeSince: Timestamp) async throws -> [LocatedAgent] {
        try await rows(
            "SELECT capabilities, location FROM agents WHERE last_seen >= ? AND location IS NOT NULL",
            [.integer(Int(activeSince.microsecondsSinceEpoch))]
        ).compactMap { row in
            guard let location = StoredJSON.parseLocation(row.column("location")?.string) else { return nil }
            return LocatedAgent(location: location, capabilities: StoredJSON.parseCapabilities(try row.text("capabilities")))
        }
    }

    public func agent(id: UUID) async throws -> AgentRecord? {
        try await agentRecords(try await rows("SELECT * FROM agents WHERE id = ?", [.text(id.canonical)])).first
    }

    func agentRecords(_ agentRows: [SQLiteRow]) async throws -> [AgentRecord] {
        // The tasks every listed agent holds, in one statement rather than one per agent.
        var held: [String: [UUID]] = [:]
        let ids = try agentRows.map { try $0.text("id") }
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = ids[start..<min(start + 500, ids.count)]
            for row in try await rows(
                """
                SELECT agent_id, id FROM tasks WHERE state = 'claimed'
                AND agent_id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", "))) ORDER BY seq
                """, chunk.map { .text($0) })
            {
                held[try row.text("agent_id"), default: []].append(try row.uuid("id"))
            }
        }
        return try agentRows.map { row in
            AgentRecord(
                id: try row.uuid("id"), name: try row.text("name"),
                lastSeen: Timestamp(microsecondsSinceEpoch: Int64(try row.int("last_seen"))),
                capabilities: StoredJSON.parseCapabilities(try row.text("capabilities")),
                location: StoredJSON.parseLocation(row.column("location")?.string),
                tasksInHand: held[try row.text("id")] ?? [])
        }
    }
}
