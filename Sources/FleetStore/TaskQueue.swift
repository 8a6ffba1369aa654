import FleetModel
import Foundation
import JSON

/// The tasks' way through the queue: inserted waiting, claimed by a poll, ended by an outcome, a cancellation or
/// the sweep.
///
/// Each call is one atomic statement: a poll claims its tasks at once, so no task is handed out twice, however many
/// polls (or `afm` processes sharing a database) run at once.
///
/// Task data and results are stored only when they were checked against the current schemas of their task type
/// (`TaskTypeRegistry`): the caller says which registration it checked against (its `updated` time; nil: none), and
/// the statement itself makes sure that registration is still the current one. A type without schemas therefore
/// costs one statement, and a schema replaced between the check and the write is never skipped.
public protocol TaskQueue: Sendable {
    /// Stores a new waiting task and answers it; nil, storing nothing, when the id is taken or the task's type has
    /// a registration other than `task.schemaCheckedAgainst`.
    func insertTask(_ task: NewTask, at now: Timestamp) async throws -> TaskRecord?
    /// Records that the agent was seen with its capabilities, then claims up to `maxTasks` waiting tasks whose
    /// type and version it can run, oldest first. The agent row is only written when something changed or its
    /// last-seen time is `lastSeenResolution` seconds old or more: agents that poll often cost no write per poll.
    func poll(_ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double) async throws -> [ClaimedTask]
    /// Completes or fails a claimed task and answers true. Answers false, recording nothing, for a result when the
    /// task's type has a result schema in a registration other than `resultCheckedAgainst`. Throws `FleetError`
    /// when the task is unknown, unclaimed or finished, or (when `agentID` is given) held by another agent.
    func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, resultCheckedAgainst: Timestamp?
    ) async throws -> Bool
    /// Cancels a task that has not finished. Throws `taskNotFound` or `taskAlreadyFinished`.
    func cancelTask(id: UUID, at now: Timestamp) async throws -> TaskRecord
    /// Expires unclaimed tasks past their time to live; hands back tasks whose agent was last seen before
    /// `agentSeenSince`, or that were claimed before `claimedBefore` (a run that took too long), or fails them
    /// (`agent lost`, `run timed out`) once they have been handed back `maxAttempts - 1` times.
    func sweep(at now: Timestamp, agentSeenSince: Timestamp, claimedBefore: Timestamp?, maxAttempts: Int) async throws -> SweepReport
}

extension TaskQueue {
    /// A poll that keeps last-seen times to the second.
    public func poll(_ poll: AgentPoll, at now: Timestamp) async throws -> [ClaimedTask] {
        try await self.poll(poll, at: now, lastSeenResolution: 1)
    }

    /// Records an outcome whose result was checked against no schema (false when a result schema applies).
    @discardableResult
    public func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp) async throws -> Bool {
        try await recordOutcome(outcome, forTask: id, by: agentID, at: now, resultCheckedAgainst: nil)
    }

    @discardableResult
    public func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, at now: Timestamp) async throws -> Bool {
        try await recordOutcome(outcome, forTask: id, by: nil, at: now)
    }

    /// A sweep without a bound on how long a claimed task may run.
    public func sweep(at now: Timestamp, agentSeenSince: Timestamp, maxAttempts: Int) async throws -> SweepReport {
        try await sweep(at: now, agentSeenSince: agentSeenSince, claimedBefore: nil, maxAttempts: maxAttempts)
    }
}
