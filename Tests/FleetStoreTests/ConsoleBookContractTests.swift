import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import JSON
import Testing

/// The `ConsoleBook` contract and the console's listings, on every engine: counts by state, the waiting backlog by
/// type and locations, agents active and lost, the listing newest first and by location, and sessions that expire
/// and end.
@Suite("ConsoleBook contract")
struct ConsoleBookContractTests {
    @Test("tasks counted by state with the oldest waiting; the backlog by type, version and locations; agents known and active",
          arguments: StoreEngine.allCases)
    func counts(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            #expect(try await store.taskCounts() == TaskCounts())
            let oldest = Sample.task(type: "probe")
            _ = try await store.insertTask(oldest, at: Sample.time(0))
            for second in 1...3 { _ = try await store.insertTask(Sample.task(type: "probe"), at: Sample.time(Double(second))) }
            _ = try await store.insertTask(Sample.task(type: "probe", locations: ["FI"]), at: Sample.time(4))
            _ = try await store.insertTask(Sample.task(type: "probe", locations: ["FI", "SE/AB"]), at: Sample.time(5))
            _ = try await store.insertTask(Sample.task(type: "wait"), at: Sample.time(6))
            // The oldest wait task goes to an agent that is then long gone; one probe is cancelled.
            let runner = Sample.poll(name: "runner", at: "FI/18")
            let claimed = try await store.poll(runner, at: Sample.time(7))
            #expect(claimed.count == 1)
            _ = try await store.cancelTask(id: oldest.id, at: Sample.time(8))
            let prober = Sample.poll(name: "prober", capabilities: [Capability(type: "probe", version: 1)], maxTasks: 0, at: "SE/AB")
            _ = try await store.poll(prober, at: Sample.time(100))

            let counts = try await store.taskCounts()
            #expect(counts.byState == [.waiting: 5, .claimed: 1, .cancelled: 1])
            #expect(counts.oldestWaiting == Sample.time(1))

            let groups = try await store.waitingGroups(limit: 10)
            #expect(groups.map(\.count) == [3, 1, 1])
            #expect(groups.first == WaitingGroup(type: "probe", version: 1, locations: [], count: 3, oldestCreated: Sample.time(1)))
            #expect(Set(groups.dropFirst().map { $0.locations.map(\.description) }) == [["FI"], ["FI", "SE/AB"]])
            #expect(try await store.waitingGroups(limit: 1).count == 1)

            #expect(try await store.agentCounts(activeSince: Sample.time(50)) == AgentCounts(known: 2, active: 1))
            let kinds = try await store.activeAgentKinds(activeSince: Sample.time(50))
            #expect(kinds == [AgentKind(capabilities: [Capability(type: "probe", version: 1)], location: prober.location)])
        }
    }

    @Test("the listing newest first, page by page, and only the tasks that name a location", arguments: StoreEngine.allCases)
    func listings(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var made: [UUID] = []
            for (index, places) in [[], ["FI"], ["FI/18", "SE"], ["SE"], ["FI"]].enumerated() {
                let task = Sample.task(locations: places)
                _ = try await store.insertTask(task, at: Sample.time(Double(index)))
                made.append(task.id)
            }
            var query = TaskQuery(limit: 2)
            query.newestFirst = true
            var seen: [UUID] = []
            while true {
                let page = try await store.listTasks(query)
                seen += page.tasks.map(\.id)
                guard let cursor = page.nextCursor else { break }
                query.afterSequence = cursor
            }
            #expect(seen == made.reversed())
            var located = TaskQuery()
            located.location = LocationCode(text: "FI")
            #expect(try await store.listTasks(located).tasks.map(\.id) == [made[1], made[4]])
            located.location = LocationCode(text: "SE")
            #expect(try await store.listTasks(located).tasks.map(\.id) == [made[2], made[3]])
        }
    }

    @Test("a session is found by its key's hash until it expires or is deleted; saving one deletes the expired", arguments: StoreEngine.allCases)
    func sessions(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = ConsoleSession(keyHash: "a1", role: .operator_, csrfToken: "c1", created: Sample.time(0), expires: Sample.time(10))
            let second = ConsoleSession(keyHash: "b2", role: .viewer, csrfToken: "c2", created: Sample.time(0), expires: Sample.time(100))
            try await store.saveSession(first, at: Sample.time(0))
            try await store.saveSession(second, at: Sample.time(0))
            #expect(try await store.session(keyHash: "a1", at: Sample.time(5)) == first)
            #expect(try await store.session(keyHash: "a1", at: Sample.time(11)) == nil)
            #expect(try await store.session(keyHash: "b2", at: Sample.time(11)) == second)
            #expect(try await store.session(keyHash: "zz", at: Sample.time(1)) == nil)
            // Saving at 20 deletes the first, expired at 10: asked at 5 again, it is gone.
            try await store.saveSession(
                ConsoleSession(keyHash: "c3", role: .operator_, csrfToken: "c3", created: Sample.time(20), expires: Sample.time(30)), at: Sample.time(20))
            #expect(try await store.session(keyHash: "a1", at: Sample.time(5)) == nil)
            try await store.deleteSession(keyHash: "b2")
            #expect(try await store.session(keyHash: "b2", at: Sample.time(11)) == nil)
        }
    }
}
