import FleetModel
import FleetStore
import Foundation
import Logging
import PostgresNIO

/// The request-path operations that many requests share a statement for under load: task inserts, outcomes and
/// reads. A batch of one runs the single statement of `PostgresStatements`; a larger one the batch statement of
/// `PostgresBatchStatements`. A task id that appears twice in one batch runs again on its own after the batch, so
/// every request sees what it would have seen alone, in arrival order.
struct PostgresRequestBatches: Sendable {
    let client: PostgresClient
    let logger: Logger
    let operations: GuardedOperations

    typealias Insert = PostgresBatchStatements.InsertTasks.Entry
    typealias Outcome = PostgresBatchStatements.RecordOutcomes.Entry

    /// Batches that may run at once for each kind, and their largest size, for a pool of `poolSize` connections.
    /// Fewer batches at once make larger ones: on 2 cores (a pool of 8) one batch per kind gave 2,042–2,249
    /// lifecycles/s with 32 BPMS clients, two 1,855–2,029 and four 1,556–1,655.
    static func coalescers(poolSize: Int) -> (concurrent: Int, maximum: Int) {
        (max(1, poolSize / 8), 100)
    }

    func insert(_ entries: [Insert]) async throws -> [Result<TaskRecord?, any Error>] {
        try await inOrder(entries, key: \.task.id) { distinct in
            if distinct.count == 1 {
                let entry = distinct[0]
                let statement = PostgresStatements.InsertTask(task: entry.task, now: entry.now)
                return [.success(try await operations.run("task insert") {
                    try await PostgresTaskStore.taskRecords(client.execute(statement, logger: logger)).first
                })]
            }
            let statement = PostgresBatchStatements.InsertTasks(entries: distinct)
            let inserted = try await operations.run("task insert") {
                try await PostgresTaskStore.taskRecords(client.execute(statement, logger: logger))
            }
            let byID = Dictionary(inserted.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return distinct.map { .success(byID[$0.task.id]) }
        }
    }

    /// Per outcome: true when recorded, false when only the result schema stopped it, or the `FleetError` saying
    /// why the task could not take it.
    func recordOutcomes(_ entries: [Outcome]) async throws -> [Result<Bool, any Error>] {
        try await inOrder(entries, key: \.taskID) { distinct in
            var answers: [Int: (updated: Bool, state: String, schemaPending: Bool)] = [:]
            if distinct.count == 1 {
                let entry = distinct[0]
                let statement = PostgresStatements.RecordOutcome(
                    outcome: entry.outcome, taskID: entry.taskID, agentID: entry.agentID, now: entry.now,
                    resultCheckedAgainst: entry.resultCheckedAgainst)
                answers = try await operations.run("task outcome") {
                    var answers: [Int: (Bool, String, Bool)] = [:]
                    for try await row in try await client.execute(statement, logger: logger) { answers[0] = row }
                    return answers
                }
            } else {
                let statement = PostgresBatchStatements.RecordOutcomes(entries: distinct)
                answers = try await operations.run("task outcome") {
                    var answers: [Int: (Bool, String, Bool)] = [:]
                    for try await (position, updated, state, pending) in try await client.execute(statement, logger: logger) {
                        answers[Int(position) - 1] = (updated, state, pending)
                    }
                    return answers
                }
            }
            return distinct.indices.map { index in
                Result { try Self.outcomeAnswer(answers[index], taskID: distinct[index].taskID) }
            }
        }
    }

    func read(_ ids: [UUID]) async throws -> [Result<TaskRecord?, any Error>] {
        if ids.count == 1 {
            let statement = PostgresStatements.ReadTask(id: ids[0])
            return [.success(try await operations.run("task read") {
                try await PostgresTaskStore.taskRecords(client.execute(statement, logger: logger)).first
            })]
        }
        let statement = PostgresBatchStatements.ReadTasks(ids: Array(Set(ids)))
        let found = try await operations.run("task read") {
            try await PostgresTaskStore.taskRecords(client.execute(statement, logger: logger))
        }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.map { .success(byID[$0]) }
    }

    /// What one outcome statement's answer means for the agent that posted it.
    private static func outcomeAnswer(_ answer: (updated: Bool, state: String, schemaPending: Bool)?, taskID id: UUID) throws -> Bool {
        guard let answer, let state = TaskState(rawValue: answer.state) else { throw FleetError.taskNotFound(id) }
        if answer.updated { return true }
        if answer.schemaPending { return false }
        switch state {
        case .waiting: throw FleetError.taskNotClaimed(id)
        case .claimed: throw FleetError.taskHeldByAnotherAgent(id)
        default: throw FleetError.taskAlreadyFinished(id, state)
        }
    }

    /// Runs `entries` together; when the database refuses the statement (it then took no effect), runs each entry on
    /// its own, so that one request the database cannot take fails alone and not the others batched with it.
    private func isolating<Entry, Answer>(
        _ entries: [Entry], _ run: ([Entry]) async throws -> [Result<Answer, any Error>]
    ) async throws -> [Result<Answer, any Error>] {
        do {
            return try await run(entries)
        } catch let error as StoreUnavailable where error.refusedByDatabase && entries.count > 1 {
            logger.debug("batch refused; running its requests one by one", metadata: ["cause": "\(error.cause)", "size": "\(entries.count)"])
            var results: [Result<Answer, any Error>] = []
            for entry in entries {
                do {
                    results.append(try await run([entry])[0])
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }

    /// Runs the entries whose key comes first in the batch through `run` together, then each repeat of a key on its
    /// own, in order; answers in the order of `entries`.
    private func inOrder<Entry, Answer>(
        _ entries: [Entry], key: (Entry) -> UUID, _ run: ([Entry]) async throws -> [Result<Answer, any Error>]
    ) async throws -> [Result<Answer, any Error>] {
        var seen = Set<UUID>()
        var first: [Int] = []
        var repeats: [Int] = []
        for (index, entry) in entries.enumerated() {
            if seen.insert(key(entry)).inserted { first.append(index) } else { repeats.append(index) }
        }
        var results = [Result<Answer, any Error>?](repeating: nil, count: entries.count)
        for (index, result) in zip(first, try await isolating(first.map { entries[$0] }, run)) { results[index] = result }
        for index in repeats {
            do {
                results[index] = try await run([entries[index]])[0]
            } catch {
                results[index] = .failure(error)
            }
        }
        return results.map { $0! }
    }
}
