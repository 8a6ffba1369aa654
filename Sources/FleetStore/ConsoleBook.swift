import FleetModel
import JSON

/// What the operator console reads beyond the directory, each in one indexed statement however large the fleet,
/// and its sessions: a login is a row, so that every `afm` process sharing the database knows it and a logout
/// ends it everywhere.
public protocol ConsoleBook: Sendable {
    /// Tasks counted by state, and the creation time of the oldest waiting one.
    func taskCounts() async throws -> TaskCounts
    /// Waiting tasks grouped by type, version and locations, the largest groups first, at most `limit`.
    func waitingGroups(limit: Int) async throws -> [WaitingGroup]
    /// How many agents are known, and how many of them were seen at or after `activeSince`.
    func agentCounts(activeSince: Timestamp) async throws -> AgentCounts
    /// What the agents seen at or after `activeSince` can run and where they are, each combination once.
    func activeAgentKinds(activeSince: Timestamp) async throws -> [AgentKind]
    /// Stores a new session; first deletes the sessions that expired before `now`, so the table stays bounded.
    func saveSession(_ session: ConsoleSession, at now: Timestamp) async throws
    /// The session whose key hashes to `keyHash`, unless it expired before `now`.
    func session(keyHash: String, at now: Timestamp) async throws -> ConsoleSession?
    func deleteSession(keyHash: String) async throws
}
