import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// The `TaskStore` contract. Every test runs against every engine.
@Suite("TaskStore contract")
struct TaskStoreContractTests {
    @Test("a created task reads back exactly, with microsecond times", arguments: StoreEngine.allCases)
    func createAndRead(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task(data: #"{"nested":{"list":[1,2.5,"x"]},"time":1}"#)
            try await store.createTask(task, at: Sample.time(0.123456))
            let record = try #require(try await store.task(id: task.id))
            #expect(record.id == task.id)
            #expect(record.testID == task.testID)
            #expect(record.type == "wait" && record.version == 1)
            #expect(record.dataJSON == task.dataJSON)
            #expect(record.state == .waiting)
            #expect(record.created == Sample.time(0.123456))
            #expect(record.agentID == nil && record.claimed == nil && record.completed == nil && record.failed == nil)
        }
    }

    @Test("a create the database refuses fails alone, not the creates batched into one statement with it",
          arguments: [StoreEngine.postgres])
    func refusedInsertFailsAlone(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            // PostgreSQL text cannot hold NUL: these reach the database only here, below the HTTP layer's check.
            let tasks = (0..<300).map { index in Sample.task(type: index % 10 == 0 ? "wait\u{0}" : "wait") }
            let failed = try await withThrowingTaskGroup(of: (NewTask, Bool).self) { group in
                for task in tasks {
                    group.addTask { (task, (try? await store.createTask(task, at: Sample.time(0))) == nil) }
                }
                return try await group.reduce(into: [NewTask]()) { if $1.1 { $0.append($1.0) } }
            }
            let refused = Set(tasks.filter { $0.type != "wait" }.map(\.id))
            #expect(failed.count == refused.count && failed.allSatisfy { refused.contains($0.id) },
                    "\(failed.count) creates failed, \(failed.filter { !refused.contains($0.id) }.count) of them valid")
            var missing = 0
            for task in tasks where task.type == "wait" {
                if try await store.task(id: task.id) == nil { missing += 1 }
            }
            #expect(missing == 0, "\(missing) valid tasks were not created")
        }
    }

    @Test("a task without data keeps no data", arguments: StoreEngine.allCases)
    func taskWithoutData(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task(data: nil)
            try await store.createTask(task, at: Sample.time(0))
            #expect(try await store.task(id: task.id)?.dataJSON == nil)
        }
    }

    @Test("creating a task with a taken id fails and keeps the first", arguments: StoreEngine.allCases)
    func duplicateTaskID(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = Sample.task(type: "wait")
            try await store.createTask(first, at: Sample.time(0))
            let second = Sample.task(type: "other", id: first.id)
            await #expect(throws: FleetError.taskAlreadyExists(first.id)) {
                try await store.createTask(second, at: Sample.time(1))
            }
            #expect(try await store.task(id: first.id)?.type == "wait")
        }
    }

    @Test("an unknown task reads as nil", arguments: StoreEngine.allCases)
    func unknownTask(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let record = try await store.task(id: UUID())
            #expect(record == nil)
        }
    }

    @Test("a poll claims only matching type and version, oldest first, at most max_tasks", arguments: StoreEngine.allCases)
    func pollClaimsMatchingTasks(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let oldest = Sample.task(type: "wait", version: 1)
            let otherVersion = Sample.task(type: "wait", version: 2)
            let otherType = Sample.task(type: "url_http_status", version: 1)
            let newer = Sample.task(type: "wait", version: 1)
            let newest = Sample.task(type: "wait", version: 1)
            for (offset, task) in [oldest, otherVersion, otherType, newer, newest].enumerated() {
                try await store.createTask(task, at: Sample.time(Double(offset)))
            }
            let agent = UUID()
            let claimed = try await store.poll(Sample.poll(agent: agent, maxTasks: 2), at: Sample.time(10))
            #expect(claimed.map(\.id) == [oldest.id, newer.id])
            #expect(claimed.first?.dataJSON == oldest.dataJSON)
            let record = try #require(try await store.task(id: oldest.id))
            #expect(record.state == .claimed && record.agentID == agent && record.claimed == Sample.time(10))
            #expect(try await store.task(id: otherVersion.id)?.state == .waiting)
            #expect(try await store.task(id: otherType.id)?.state == .waiting)
        }
    }

    /// Each capability's tasks are looked up on their own; what is claimed is still the oldest across all of them.
    /// 600 capabilities is more than SQLite allows terms in one compound SELECT.
    @Test("a poll with several capabilities claims the oldest tasks across them, with 2 or 600 capabilities",
          arguments: StoreEngine.allCases, [2, 600])
    func pollAcrossCapabilities(engine: StoreEngine, capabilityCount: Int) async throws {
        try await engine.withStore { store in
            let tasks = ["b", "a", "c", "a", "b", "a"].map { Sample.task(type: $0) }
            for (offset, task) in tasks.enumerated() {
                try await store.createTask(task, at: Sample.time(Double(offset)))
            }
            let others = (0..<(capabilityCount - 2)).map { Capability(type: "other-\($0)", version: 1) }
            let capabilities = others + [Capability(type: "a", version: 1), Capability(type: "b", version: 1)]
            let first = try await store.poll(Sample.poll(capabilities: capabilities, maxTasks: 3), at: Sample.time(10))
            #expect(first.map(\.id) == [tasks[0].id, tasks[1].id, tasks[3].id])
            let second = try await store.poll(Sample.poll(capabilities: capabilities, maxTasks: 3), at: Sample.time(11))
            #expect(second.map(\.id) == [tasks[4].id, tasks[5].id])
            #expect(try await store.task(id: tasks[2].id)?.state == .waiting)
        }
    }

    @Test("a claimed task is never handed out again", arguments: StoreEngine.allCases)
    func claimedOnce(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            try await store.createTask(task, at: Sample.time(0))
            #expect(try await store.poll(Sample.poll(), at: Sample.time(1)).map(\.id) == [task.id])
            #expect(try await store.poll(Sample.poll(), at: Sample.time(2)).isEmpty)
        }
    }

    @Test("a busy poll (max_tasks 0) or one without capabilities claims nothing but records the agent", arguments: StoreEngine.allCases)
    func pollWithoutRoom(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            try await store.createTask(Sample.task(), at: Sample.time(0))
            let busy = UUID()
            let incapable = UUID()
            #expect(try await store.poll(Sample.poll(agent: busy, maxTasks: 0), at: Sample.time(1)).isEmpty)
            #expect(try await store.poll(Sample.poll(agent: incapable, capabilities: [], maxTasks: 5), at: Sample.time(1)).isEmpty)
            let status = try await store.status(activeSince: Sample.time(0))
            #expect(status == FleetStatus(activeAgents: 2, waitingTasks: 1))
        }
    }

    @Test("a result completes a claimed task", arguments: StoreEngine.allCases)
    func resultCompletes(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            try await store.createTask(task, at: Sample.time(0))
            _ = try await store.poll(Sample.poll(), at: Sample.time(1))
            try await store.recordOutcome(.result(json: #"{"time":1.002}"#), forTask: task.id, at: Sample.time(2))
            let record = try #require(try await store.task(id: task.id))
            #expect(record.state == .completed && record.completed == Sample.time(2))
            #expect(record.resultJSON == #"{"time":1.002}"# && record.error == nil && record.failed == nil)
        }
    }

    @Test("an error fails a claimed task", arguments: StoreEngine.allCases)
    func errorFails(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            try await store.createTask(task, at: Sample.time(0))
            _ = try await store.poll(Sample.poll(), at: Sample.time(1))
            try await store.recordOutcome(.error("handler crashed"), forTask: task.id, at: Sample.time(2))
            let record = try #require(try await store.task(id: task.id))
            #expect(record.state == .failed && record.failed == Sample.time(2) && record.error == "handler crashed")
            #expect(record.resultJSON == nil && record.completed == nil)
        }
    }

    @Test("an outcome for an unknown, unclaimed or finished task is refused", arguments: StoreEngine.allCases)
    func outcomeRefusals(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let unknown = UUID()
            await #expect(throws: FleetError.taskNotFound(unknown)) {
                try await store.recordOutcome(.error("x"), forTask: unknown, at: Sample.time(0))
            }
            let waiting = Sample.task(type: "nobody-runs-this")
            try await store.createTask(waiting, at: Sample.time(0))
            await #expect(throws: FleetError.taskNotClaimed(waiting.id)) {
                try await store.recordOutcome(.result(json: "{}"), forTask: waiting.id, at: Sample.time(1))
            }
            let finished = Sample.task()
            try await store.createTask(finished, at: Sample.time(0))
            _ = try await store.poll(Sample.poll(), at: Sample.time(1))
            try await store.recordOutcome(.result(json: #"{"first":true}"#), forTask: finished.id, at: Sample.time(2))
            await #expect(throws: FleetError.taskAlreadyFinished(finished.id, .completed)) {
                try await store.recordOutcome(.result(json: "{}"), forTask: finished.id, at: Sample.time(3))
            }
            await #expect(throws: FleetError.taskAlreadyFinished(finished.id, .completed)) {
                try await store.recordOutcome(.error("late"), forTask: finished.id, at: Sample.time(3))
            }
            #expect(try await store.task(id: finished.id)?.resultJSON == #"{"first":true}"#)
        }
    }

    @Test("status counts agents seen since the threshold and unclaimed tasks only", arguments: StoreEngine.allCases)
    func statusCounts(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            for offset in 0..<3 { try await store.createTask(Sample.task(), at: Sample.time(Double(offset))) }
            _ = try await store.poll(Sample.poll(maxTasks: 1), at: Sample.time(10))
            _ = try await store.poll(Sample.poll(maxTasks: 0), at: Sample.time(100))
            #expect(try await store.status(activeSince: Sample.time(50)) == FleetStatus(activeAgents: 1, waitingTasks: 2))
            #expect(try await store.status(activeSince: Sample.time(5)) == FleetStatus(activeAgents: 2, waitingTasks: 2))
        }
    }

    @Test("polls within a second of each other leave the agent row alone unless something changed", arguments: StoreEngine.allCases)
    func lastSeenResolution(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let agent = UUID()
            _ = try await store.poll(Sample.poll(agent: agent), at: Sample.time(10))
            _ = try await store.poll(Sample.poll(agent: agent), at: Sample.time(10.5))
            var seen = try await store.agent(id: agent)?.lastSeen
            #expect(seen == Sample.time(10))
            _ = try await store.poll(Sample.poll(agent: agent, name: "renamed"), at: Sample.time(10.7))
            seen = try await store.agent(id: agent)?.lastSeen
            #expect(seen == Sample.time(10.7), "a change is written at once")
            _ = try await store.poll(Sample.poll(agent: agent, name: "renamed"), at: Sample.time(11.7))
            seen = try await store.agent(id: agent)?.lastSeen
            #expect(seen == Sample.time(11.7), "a second later the time moves on")
            // With a 10 s resolution, polls 9 s apart write nothing; the tenth second writes.
            _ = try await store.poll(Sample.poll(agent: agent, name: "renamed"), at: Sample.time(20.7), lastSeenResolution: 10)
            seen = try await store.agent(id: agent)?.lastSeen
            #expect(seen == Sample.time(11.7))
            _ = try await store.poll(Sample.poll(agent: agent, name: "renamed"), at: Sample.time(21.7), lastSeenResolution: 10)
            seen = try await store.agent(id: agent)?.lastSeen
            #expect(seen == Sample.time(21.7))
        }
    }

    @Test("capabilities are replaced by each poll", arguments: StoreEngine.allCases)
    func capabilitiesReplaced(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let agent = UUID()
            _ = try await store.poll(
                Sample.poll(agent: agent, capabilities: [.init(type: "wait", version: 1), .init(type: "b", version: 2)]),
                at: Sample.time(0))
            _ = try await store.poll(Sample.poll(agent: agent, name: "renamed", capabilities: [.init(type: "c", version: 3)]), at: Sample.time(1))
            let summary = try #require(try await store.dashboard(limits: .init()).agents.first { $0.id == agent })
            #expect(summary.capabilities == [Capability(type: "c", version: 3)])
            #expect(summary.name == "renamed" && summary.lastSeen == Sample.time(1))
        }
    }

    @Test("the dashboard lists unassigned tasks newest first and each agent with its tasks", arguments: StoreEngine.allCases)
    func dashboardSnapshot(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let claimedTask = Sample.task()
            let waitingOld = Sample.task(type: "later")
            let waitingNew = Sample.task(type: "later")
            try await store.createTask(claimedTask, at: Sample.time(0))
            try await store.createTask(waitingOld, at: Sample.time(1))
            try await store.createTask(waitingNew, at: Sample.time(2))
            let agent = UUID()
            _ = try await store.poll(Sample.poll(agent: agent, name: "a1"), at: Sample.time(3))
            try await store.recordOutcome(.error("boom"), forTask: claimedTask.id, at: Sample.time(4))
            let snapshot = try await store.dashboard(limits: .init())
            #expect(snapshot.unassignedTasks.map(\.id) == [waitingNew.id, waitingOld.id])
            #expect(snapshot.agents.count == 1)
            #expect(snapshot.agents.first?.name == "a1")
            #expect(snapshot.agents.first?.tasks.map(\.id) == [claimedTask.id])
            #expect(snapshot.agents.first?.tasks.first?.error == "boom")
        }
    }

    @Test("migrating again is harmless, and tables can be dropped and created again", arguments: StoreEngine.allCases)
    func migrationsAreRepeatable(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            try await store.createTask(task, at: Sample.time(0))
            try await store.migrate()
            #expect(try await store.task(id: task.id) != nil)
            try await store.dropTables()
            try await store.migrate()
            #expect(try await store.task(id: task.id) == nil)
        }
    }
}
