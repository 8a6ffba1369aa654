import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// The `TaskStore` contract under concurrent callers: claims, inserts, outcomes and reads at once. Every test runs
/// against every engine.
@Suite("TaskStore contract: concurrency")
struct TaskStoreConcurrencyContractTests {
    @Test("50 concurrent pollers over 1,000 tasks claim every task exactly once", arguments: StoreEngine.allCases)
    func concurrentPollersClaimEachTaskOnce(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let tasks = (0..<1_000).map { _ in Sample.task() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, task) in tasks.enumerated() {
                    group.addTask { try await store.createTask(task, at: Sample.time(Double(index) / 1000)) }
                }
                try await group.waitForAll()
            }
            let claims = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let agent = UUID()
                        var mine: [UUID] = []
                        while true {
                            let claimed = try await store.poll(Sample.poll(agent: agent, maxTasks: 7), at: .now())
                            if claimed.isEmpty { return mine }
                            mine += claimed.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claims.count == 1_000)
            #expect(Set(claims) == Set(tasks.map(\.id)))
            #expect(try await store.status(activeSince: Sample.time(0)).waitingTasks == 0)
        }
    }

    @Test("inserts, outcomes and reads at the same moment each get the answer they would get alone", arguments: StoreEngine.allCases)
    func simultaneousRequests(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            // 300 distinct tasks (some without data, some with a time to live), each id sent three times at once.
            let tasks = (0..<300).map { index in
                Sample.task(data: index % 5 == 0 ? nil : #"{"n":\#(index)}"#, ttl: index % 3 == 0 ? 3600 : nil)
            }
            let inserted = try await withThrowingTaskGroup(of: TaskRecord?.self) { group in
                for task in tasks + tasks + tasks {
                    group.addTask { try await store.insertTask(task, at: Sample.time(0)) }
                }
                return try await group.reduce(into: [TaskRecord]()) { if let record = $1 { $0.append(record) } }
            }
            #expect(inserted.count == 300 && Set(inserted.map(\.id)) == Set(tasks.map(\.id)))
            for record in inserted {
                let task = try #require(tasks.first { $0.id == record.id })
                #expect(record.dataJSON == task.dataJSON && record.ttlSeconds == task.ttlSeconds)
                #expect(record.expires == task.ttlSeconds.map { Sample.time(Double($0)) })
            }

            let agent = UUID()
            var claimed: [UUID] = []
            while true {
                let batch = try await store.poll(Sample.poll(agent: agent, maxTasks: 100), at: Sample.time(1))
                if batch.isEmpty { break }
                claimed += batch.map(\.id)
            }
            #expect(claimed.count == 300)

            // Each task: its result twice and a stranger's result, all at once; a fifth fail instead.
            enum Answer: Equatable { case recorded, alreadyFinished, heldByAnother, other }
            let answers = try await withThrowingTaskGroup(of: (UUID, Answer).self) { group in
                for (index, id) in claimed.enumerated() {
                    let outcome: TaskOutcome = index % 5 == 0 ? .error("failed \(index)") : .result(json: #"{"i":\#(index)}"#)
                    for by in [agent, agent, UUID()] {
                        group.addTask {
                            do {
                                try await store.recordOutcome(outcome, forTask: id, by: by, at: Sample.time(2))
                                return (id, .recorded)
                            } catch FleetError.taskAlreadyFinished {
                                return (id, .alreadyFinished)
                            } catch FleetError.taskHeldByAnotherAgent {
                                return (id, .heldByAnother)
                            } catch {
                                return (id, .other)
                            }
                        }
                    }
                }
                return try await group.reduce(into: [UUID: [Answer]]()) { $0[$1.0, default: []].append($1.1) }
            }
            for id in claimed {
                let seen = answers[id] ?? []
                // One of the agent's two posts records, the other comes too late; the stranger is refused either
                // way: held by another while the task is open, finished once it is not.
                #expect(seen.count == 3 && seen.filter { $0 == .recorded }.count == 1, "\(id): \(seen)")
                #expect(seen.filter { $0 == .alreadyFinished }.count >= 1 && !seen.contains(.other), "\(id): \(seen)")
            }

            let unknown = (0..<20).map { _ in UUID() }
            let reads = try await withThrowingTaskGroup(of: (UUID, TaskRecord?).self) { group in
                for id in claimed + claimed + unknown {
                    group.addTask { (id, try await store.task(id: id)) }
                }
                return try await group.reduce(into: [(UUID, TaskRecord?)]()) { $0.append($1) }
            }
            #expect(reads.count == 620)
            for (id, record) in reads {
                if unknown.contains(id) {
                    #expect(record == nil)
                    continue
                }
                let index = try #require(claimed.firstIndex(of: id))
                #expect(record?.id == id && record?.agentID == agent)
                if index % 5 == 0 {
                    #expect(record?.state == .failed && record?.error == "failed \(index)")
                } else {
                    #expect(record?.state == .completed && record?.resultJSON == #"{"i":\#(index)}"#)
                }
            }
        }
    }
}
