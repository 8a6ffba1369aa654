import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

extension PostgresTaskStore {
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
                  AND (\(query.location.map { "%,\($0),%" })::text IS NULL OR locations LIKE \(query.location.map { "%,\($0),%" }))
                  AND (\(query.afterSequence)::bigint IS NULL OR seq \(unescaped: query.newestFirst ? "<" : ">") \(query.afterSequence))
                ORDER BY seq \(unescaped: query.newestFirst ? "DESC" : "ASC") LIMIT \(query.limit + 1)
                """, newestFirst: query.newestFirst)
        }
        let page = Array(found.prefix(query.limit))
        return TaskPage(tasks: page, nextCursor: found.count > query.limit ? page.last?.sequence : nil)
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

    public func task(id: UUID) async throws -> TaskRecord? {
        try await reads.run(id)
    }


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

    public func agents(limit: Int, in place: LocationCode?) async throws -> [AgentRecord] {
        guard let place else {
            return try await agentRecords("SELECT id, name, last_seen, capabilities, location FROM agents ORDER BY last_seen DESC, id LIMIT \(limit)")
        }
        // The location is stored as its JSON text; an operator's filter reads every agent's.
        return try await agentRecords(
            """
            SELECT id, name, last_seen, capabilities, location FROM agents
            WHERE location::jsonb ->> 'country' = \(place.country)
              AND (\(place.region)::text IS NULL OR location::jsonb ->> 'region' = \(place.region))
            ORDER BY last_seen DESC, id LIMIT \(limit)
            """)
    }

    public func agentPage(after: UUID?, limit: Int, in place: LocationCode?) async throws -> [AgentRecord] {
        try await agentRecords(
            """
            SELECT id, name, last_seen, capabilities, location FROM agents
            WHERE (\(after)::uuid IS NULL OR id > \(after))
              AND (\(place?.country)::text IS NULL OR location::jsonb ->> 'country' = \(place?.country))
              AND (\(place?.region)::text IS NULL OR location::jsonb ->> 'region' = \(place?.region))
            ORDER BY id LIMIT \(limit)
            """)
    }

    public func locatedAgents(activeSince: Timestamp) async throws -> [LocatedAgent] {
        try await guarded("located agents") {
            var agents: [LocatedAgent] = []
            for try await (capabilities, location) in try await self.client.query(
                "SELECT capabilities, location FROM agents WHERE last_seen >= \(activeSince) AND location IS NOT NULL",
                logger: self.logger
            ).decode((String, String).self) {
                guard let location = StoredJSON.parseLocation(location) else { continue }
                agents.append(LocatedAgent(location: location, capabilities: StoredJSON.parseCapabilities(capabilities)))
            }
            return agents
        }
    }

    public func agent(id: UUID) async throws -> AgentRecord? {
        try await agentRecords("SELECT id, name, last_seen, capabilities, location FROM agents WHERE id = \(id)").first
    }

    func agentRecords(_ query: PostgresQuery) async throws -> [AgentRecord] {
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
}
