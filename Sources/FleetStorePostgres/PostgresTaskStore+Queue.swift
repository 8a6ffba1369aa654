import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

extension PostgresTaskStore {
    public func insertTask(_ task: NewTask, at now: Timestamp) async throws -> TaskRecord? {
        try await inserts.run(.init(task: task, now: now))
    }

    public func cancelTask(id: UUID, at now: Timestamp) async throws -> TaskRecord {
        let cancelled = try await guarded("task cancel") {
            try await self.taskRecords(
                """
                UPDATE tasks SET state = 'cancelled', failed = \(now), error = 'cancelled'
                WHERE id = \(id) AND state IN ('waiting', 'claimed') RETURNING \(unescaped: Self.taskColumns)
                """
            ).first
        }
        if let cancelled { return cancelled }
        guard let existing = try await task(id: id) else { throw FleetError.taskNotFound(id) }
        throw FleetError.taskAlreadyFinished(id, existing.state)
    }

    public func sweep(at now: Timestamp, agentSeenSince: Timestamp, claimedBefore: Timestamp?, maxAttempts: Int) async throws -> SweepReport {
        try await guarded("sweep") {
            var report = SweepReport(expired: 0, handedBack: 0, lost: 0)
            for try await (expired, lost, handedBack) in try await self.client.query(
                """
                WITH expired AS (
                    UPDATE tasks SET state = 'expired', failed = expires, error = 'expired'
                    WHERE state = 'waiting' AND expires IS NOT NULL AND expires <= \(now) RETURNING seq
                ), lost_agents AS (
                    SELECT id FROM agents WHERE last_seen < \(agentSeenSince)
                ), abandoned AS (
                    -- Its agent is lost, or its run has taken longer than the bound (NULL when there is none). The
                    -- updates check the state again: a result that commits meanwhile is re-read there, not here.
                    SELECT seq, agent_id IN (SELECT id FROM lost_agents) AS agent_lost FROM tasks
                    WHERE state = 'claimed' AND (agent_id IN (SELECT id FROM lost_agents) OR claimed < \(claimedBefore))
                ), lost AS (
                    UPDATE tasks SET state = 'failed', failed = \(now), attempts = attempts + 1,
                        error = CASE WHEN abandoned.agent_lost THEN 'agent lost' ELSE 'run timed out' END
                    FROM abandoned
                    WHERE tasks.seq = abandoned.seq AND tasks.state = 'claimed' AND tasks.attempts + 1 >= \(maxAttempts)
                    RETURNING tasks.seq
                ), handed_back AS (
                    UPDATE tasks SET state = 'waiting', agent_id = NULL, claimed = NULL, attempts = tasks.attempts + 1
                    FROM abandoned
                    WHERE tasks.seq = abandoned.seq AND tasks.state = 'claimed' AND tasks.attempts + 1 < \(maxAttempts)
                    RETURNING tasks.seq
                )
                SELECT (SELECT count(*) FROM expired), (SELECT count(*) FROM lost), (SELECT count(*) FROM handed_back)
                """, logger: self.logger
            ).decode((Int64, Int64, Int64).self) {
                report = SweepReport(expired: Int(expired), handedBack: Int(handedBack), lost: Int(lost))
            }
            return report
        }
    }

    public func poll(_ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double) async throws -> [ClaimedTask] {
        let statement = PostgresStatements.Poll(poll: poll, now: now, lastSeenResolution: lastSeenResolution)
        return try await guarded("poll") {
            var claimed: [(Int64, ClaimedTask)] = []
            for try await (seq, id, type, version, data, created) in try await self.client.execute(statement, logger: self.logger) {
                claimed.append((seq, ClaimedTask(id: id, type: type, version: version, dataJSON: data, created: created)))
            }
            return claimed.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    public func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, resultCheckedAgainst: Timestamp?
    ) async throws -> Bool {
        // One statement (shared with the outcomes posted at the same time): complete or fail the task if it is
        // claimed (by this agent, when it says who it is); otherwise report the state that prevented it.
        try await outcomes.run(.init(outcome: outcome, taskID: id, agentID: agentID, now: now, resultCheckedAgainst: resultCheckedAgainst))
    }
}
