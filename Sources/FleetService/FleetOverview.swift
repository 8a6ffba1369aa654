import FleetModel
import FleetStore
import Foundation
import JSON

/// The fleet as operators see it: counts, agents (active or lost) with what they hold, the dashboard's view. Every
/// read of agents first lets the polls answered without the database be written (by the idle-poll shortcut, when
/// there is one), so no agent looks older than its last poll.
public struct FleetOverview: Sendable {
    let directory: any FleetDirectory
    let clock: any FleetClock
    let policy: FleetPolicy
    let shortcut: IdlePollShortcut?

    private func beforeReadingAgents() async {
        await shortcut?.writeSightings()
    }

    /// Agents seen at or after this instant are active.
    public var activeSince: Timestamp { clock.now().adding(seconds: -policy.agentActiveThreshold) }

    /// Active agents and waiting tasks.
    public func status() async throws -> FleetStatus {
        await beforeReadingAgents()
        return try await directory.status(activeSince: activeSince)
    }

    /// Agents, most recently seen first, with the tasks they hold; only those in `place` when one is given.
    public func agents(limit: Int, in place: LocationCode? = nil) async throws -> [AgentRecord] {
        await beforeReadingAgents()
        return try await directory.agents(limit: limit, in: place)
    }

    /// The places where agents are active, with how many and what they can run.
    public func locations() async throws -> [FleetLocation] {
        await beforeReadingAgents()
        return FleetLocation.places(of: try await directory.locatedAgents(activeSince: activeSince))
    }

    /// Agents in the order of their ids after `after`, a page at a time; only those in `place` when one is given.
    public func agentPage(after: UUID?, limit: Int, in place: LocationCode? = nil) async throws -> [AgentRecord] {
        await beforeReadingAgents()
        return try await directory.agentPage(after: after, limit: limit, in: place)
    }

    public func agent(id: UUID) async throws -> AgentRecord? {
        await beforeReadingAgents()
        return try await directory.agent(id: id)
    }

    public func dashboard(limits: DashboardLimits = DashboardLimits()) async throws -> DashboardSnapshot {
        await beforeReadingAgents()
        return try await directory.dashboard(limits: limits)
    }
}
