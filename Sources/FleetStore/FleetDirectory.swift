import FleetModel
import Foundation
import JSON

/// What the fleet looks like: agents and what they hold, tasks by id and by filter, the counts of `/status` and the
/// dashboard's view. Reads, and the one write that answered polls defer (`recordAgents`).
public protocol FleetDirectory: Sendable {
    func task(id: UUID) async throws -> TaskRecord?
    func listTasks(_ query: TaskQuery) async throws -> TaskPage
    /// Agents seen at or after `activeSince`, and tasks not yet claimed.
    func status(activeSince: Timestamp) async throws -> FleetStatus
    /// The newest unassigned tasks, and the most recently seen agents with their newest tasks.
    func dashboard(limits: DashboardLimits) async throws -> DashboardSnapshot
    /// Agents, most recently seen first, with the tasks they hold; only those in `place` when one is given.
    func agents(limit: Int, in place: LocationCode?) async throws -> [AgentRecord]
    /// Agents in the order of their ids, the first `limit` after `after` (from the first when nil), with the tasks
    /// they hold; only those in `place` when one is given. A stable order, so that paging meets every agent once.
    func agentPage(after: UUID?, limit: Int, in place: LocationCode?) async throws -> [AgentRecord]
    /// The agents seen at or after `activeSince` that reported a location.
    func locatedAgents(activeSince: Timestamp) async throws -> [LocatedAgent]
    func agent(id: UUID) async throws -> AgentRecord?
    /// Records each agent as a poll described it, in one statement: a new agent is added; a known one takes the
    /// sighting's name, capabilities, location and last-seen time unless its row is newer. For polls answered
    /// without the database (`IdlePollShortcut`).
    func recordAgents(_ sightings: [AgentSighting]) async throws
}

extension FleetDirectory {
    /// Agents, most recently seen first, wherever they are.
    public func agents(limit: Int) async throws -> [AgentRecord] {
        try await agents(limit: limit, in: nil)
    }
}
