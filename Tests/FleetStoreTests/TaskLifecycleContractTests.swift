import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// The v2 parts of the `TaskStore` contract: time to live, leases, cancel, idempotent creation, listing, agents and
/// task types. Every test runs against every engine.
@Suite("TaskStore contract: lifecycle")
struct TaskLifecycleContractTests {
    @Test("a task past its time to live is never handed out, and the sweep marks it expired", arguments: StoreEngine.allCases)
    func expiry(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let short = Sample.task(ttl: 10)
            let forever = Sample.task()
            _ = try await store.createTasks([short, forever], at: Sample.time(0))
            #expect(try await store.task(id: short.id)?.expires == Sample.time(10))
            let claimed = try await store.poll(Sample.poll(maxTasks: 5), at: Sample.time(11))
            #expect(claimed.map(\.id) == [forever.id])
            let report = try await store.sweep(at: Sample.time(11), agentSeenSince: Sample.time(0), maxAttempts: 3)
            #expect(report.expired == 1)
            let expired = try #require(try await store.task(id: short.id))
            #expect(expired.state == .expired && expired.error == "expired" && expired.failed == Sample.time(10))
        }
    }

    @Test("cancel: a waiting task is never handed out, a held task's result is refused, a finished task stays", arguments: StoreEngine.allCases)
    func cancel(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let waiting = Sample.task()
            try await store.createTask(waiting, at: Sample.time(0))
            #expect(try await store.cancelTask(id: waiting.id, at: Sample.time(1)).state == .cancelled)
            #expect(try await store.poll(Sample.poll(maxTasks: 5), at: Sample.time(2)).isEmpty)

            let held = Sample.task()
            try await store.createTask(held, at: Sample.time(3))
            _ = try await store.poll(Sample.poll(maxTasks: 5), at: Sample.time(4))
            _ = try await store.cancelTask(id: held.id, at: Sample.time(5))
            await #expect(throws: FleetError.taskAlreadyFinished(held.id, .cancelled)) {
                try await store.recordOutcome(.result(json: "{}"), forTask: held.id, at: Sample.time(6))
            }
            await #expect(throws: FleetError.taskAlreadyFinished(held.id, .cancelled)) {
                _ = try await store.cancelTask(id: held.id, at: Sample.time(7))
            }
            let unknown = UUID()
            await #expect(throws: FleetError.taskNotFound(unknown)) { _ = try await store.cancelTask(id: unknown, at: Sample.time(8)) }
        }
    }

    @Test("a lost agent's task is handed back with one more attempt, then failed as 'agent lost'; its late result is refused", arguments: StoreEngine.allCases)
    func leases(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            try await store.createTask(task, at: Sample.time(0))
            let first = UUID()
            let second = UUID()
            _ = try await store.poll(Sample.poll(agent: first), at: Sample.time(1))
            // The first agent is not seen after t=1; at t=400 it is lost (seen since t=100 required).
            var report = try await store.sweep(at: Sample.time(400), agentSeenSince: Sample.time(100), maxAttempts: 2)
            #expect(report.handedBack == 1)
            var record = try #require(try await store.task(id: task.id))
            #expect(record.state == .waiting && record.attempts == 1 && record.agentID == nil)
            await #expect(throws: FleetError.taskNotClaimed(task.id)) {
                try await store.recordOutcome(.result(json: "{}"), forTask: task.id, by: first, at: Sample.time(401))
            }
            _ = try await store.poll(Sample.poll(agent: second), at: Sample.time(402))
            await #expect(throws: FleetError.taskHeldByAnotherAgent(task.id)) {
                try await store.recordOutcome(.result(json: "{}"), forTask: task.id, by: first, at: Sample.time(403))
            }
            report = try await store.sweep(at: Sample.time(900), agentSeenSince: Sample.time(500), maxAttempts: 2)
            #expect(report.lost == 1 && report.handedBack == 0)
            record = try #require(try await store.task(id: task.id))
            #expect(record.state == .failed && record.error == "agent lost" && record.attempts == 2)
        }
    }

    @Test("a task claimed longer than the run bound is handed back though its agent keeps polling, then failed as 'run timed out'",
          arguments: StoreEngine.allCases)
    func runTimeout(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            let other = Sample.task(type: "other")
            try await store.createTask(task, at: Sample.time(0))
            try await store.createTask(other, at: Sample.time(0))
            let agent = UUID()
            _ = try await store.poll(Sample.poll(agent: agent), at: Sample.time(1))
            _ = try await store.poll(Sample.poll(agent: agent, capabilities: [.init(type: "other", version: 1)]), at: Sample.time(90))
            // The agent is seen at t=90; the first task was claimed at t=1, before the bound (t=50), the other after.
            var report = try await store.sweep(at: Sample.time(100), agentSeenSince: Sample.time(80), claimedBefore: Sample.time(50), maxAttempts: 2)
            #expect(report.handedBack == 1 && report.lost == 0)
            let handedBack = try #require(try await store.task(id: task.id))
            #expect(handedBack.state == .waiting && handedBack.attempts == 1)
            #expect(try await store.task(id: other.id)?.state == .claimed)
            _ = try await store.poll(Sample.poll(agent: agent), at: Sample.time(101))
            report = try await store.sweep(at: Sample.time(300), agentSeenSince: Sample.time(100), claimedBefore: Sample.time(250), maxAttempts: 2)
            #expect(report.lost == 1 && report.handedBack == 1)
            let record = try #require(try await store.task(id: task.id))
            #expect(record.state == .failed && record.error == "run timed out" && record.attempts == 2)
            // Without a bound, a task whose agent keeps polling stays claimed.
            let third = Sample.task()
            try await store.createTask(third, at: Sample.time(400))
            _ = try await store.poll(Sample.poll(agent: agent), at: Sample.time(401))
            _ = try await store.poll(Sample.poll(agent: agent), at: Sample.time(10_000))
            report = try await store.sweep(at: Sample.time(10_001), agentSeenSince: Sample.time(9_000), maxAttempts: 2)
            #expect(report.handedBack == 0 && report.lost == 0)
        }
    }

    @Test("listing filters by state, type, version, test, agent and creation time, page by page", arguments: StoreEngine.allCases)
    func listing(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let test = UUID()
            var tasks: [NewTask] = []
            for index in 0..<7 {
                tasks.append(Sample.task(type: index % 2 == 0 ? "wait" : "dns", version: 1, testID: index < 5 ? test : UUID()))
            }
            for (index, task) in tasks.enumerated() { try await store.createTask(task, at: Sample.time(Double(index))) }
            let agent = UUID()
            _ = try await store.poll(Sample.poll(agent: agent, maxTasks: 1), at: Sample.time(10))

            var query = TaskQuery(limit: 2)
            query.testID = test
            var seen: [UUID] = []
            var pages = 0
            while true {
                let page = try await store.listTasks(query)
                seen += page.tasks.map(\.id)
                pages += 1
                guard let cursor = page.nextCursor else { break }
                query.afterSequence = cursor
            }
            #expect(seen == tasks.prefix(5).map(\.id) && pages == 3)

            var dns = TaskQuery()
            dns.type = "dns"
            dns.state = .waiting
            #expect(try await store.listTasks(dns).tasks.map(\.id) == [tasks[1].id, tasks[3].id, tasks[5].id])
            var byAgent = TaskQuery()
            byAgent.agentID = agent
            #expect(try await store.listTasks(byAgent).tasks.map(\.id) == [tasks[0].id])
            var window = TaskQuery()
            window.createdAfter = Sample.time(2)
            window.createdBefore = Sample.time(4)
            #expect(try await store.listTasks(window).tasks.map(\.id) == [tasks[2].id, tasks[3].id])
        }
    }

    @Test("agents list their capabilities, location and the tasks they hold", arguments: StoreEngine.allCases)
    func agents(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let task = Sample.task()
            try await store.createTask(task, at: Sample.time(0))
            let agent = UUID()
            let poll = AgentPoll(
                agentID: agent, name: "probe", capabilities: [Capability(type: "wait", version: 1)], maxTasks: 1,
                location: AgentLocation(country: "FI", region: "18", latitude: 60.2, longitude: nil))
            _ = try await store.poll(poll, at: Sample.time(1))
            let record = try #require(try await store.agent(id: agent))
            #expect(record.name == "probe" && record.tasksInHand == [task.id] && record.location?.country == "FI")
            #expect(record.capabilities == [Capability(type: "wait", version: 1)])
            #expect(try await store.agents(limit: 10).map(\.id) == [agent])
            #expect(try await store.agent(id: UUID()) == nil)
        }
    }

    @Test("agents are found by country or region, and the active ones that reported a location are listed",
          arguments: StoreEngine.allCases)
    func agentsByLocation(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            func poll(_ country: String?, _ region: String = "18", type: String = "wait") -> AgentPoll {
                AgentPoll(
                    agentID: UUID(), name: "probe", capabilities: [Capability(type: type, version: 1)], maxTasks: 1,
                    location: country.map { AgentLocation(country: $0, region: region, latitude: nil, longitude: nil) })
            }
            let helsinki = poll("FI")
            let turku = poll("FI", "19", type: "http")
            let stockholm = poll("SE", "AB")
            let nowhere = poll(nil)
            let old = poll("FI")
            _ = try await store.poll(old, at: Sample.time(0))
            for (index, agent) in [helsinki, turku, stockholm, nowhere].enumerated() {
                _ = try await store.poll(agent, at: Sample.time(100 + Double(index)))
            }
            func ids(_ place: String) async throws -> Set<UUID> {
                Set(try await store.agents(limit: 10, in: LocationCode(text: place)!).map(\.id))
            }
            #expect(try await ids("FI") == [helsinki.agentID, turku.agentID, old.agentID])
            #expect(try await ids("FI/18") == [helsinki.agentID, old.agentID])
            #expect(try await ids("SE/AB") == [stockholm.agentID])
            #expect(try await ids("NO").isEmpty)

            // Pages in id order: every agent once, whatever the page size, in a place or anywhere.
            func pages(size: Int, in place: LocationCode?) async throws -> [UUID] {
                var seen: [UUID] = []
                var after: UUID?
                while true {
                    let page = try await store.agentPage(after: after, limit: size, in: place)
                    seen += page.map(\.id)
                    guard page.count == size, let last = page.last else { return seen }
                    after = last.id
                }
            }
            let everyone = [helsinki, turku, stockholm, nowhere, old].map(\.agentID).sorted { $0.uuidString < $1.uuidString }
            #expect(try await pages(size: 2, in: nil) == everyone)
            #expect(try await pages(size: 10, in: nil) == everyone)
            #expect(try await pages(size: 1, in: LocationCode(text: "FI")!) == everyone.filter { [helsinki.agentID, turku.agentID, old.agentID].contains($0) })
            #expect(try await pages(size: 1, in: LocationCode(text: "FI/19")!) == [turku.agentID])

            let located = try await store.locatedAgents(activeSince: Sample.time(50))
            #expect(located.count == 3)
            #expect(Set(located.map { LocationCode($0.location).description }) == ["FI/18", "FI/19", "SE/AB"])
            #expect(located.first { $0.location.region == "19" }?.capabilities == [Capability(type: "http", version: 1)])
        }
    }

    @Test("a task for some places is claimed only by agents there; one for anywhere by any agent", arguments: StoreEngine.allCases)
    func locationRouting(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let finland = Sample.task(locations: ["FI"])
            let uusimaa = Sample.task(locations: ["FI/18"])
            let either = Sample.task(locations: ["SE", "FI/18"])
            let anywhere = Sample.task()
            try await store.createTasks([finland, uusimaa, either, anywhere], at: Sample.time(0))
            #expect(try await store.task(id: either.id)?.locations.map(\.description) == ["FI/18", "SE"])
            func claim(at place: String?) async throws -> [UUID] {
                try await store.poll(Sample.poll(maxTasks: 10, at: place), at: Sample.time(1)).map(\.id)
            }
            // Nothing for Norway but the task for anywhere; an agent that said nothing of where it is is the same.
            #expect(try await claim(at: "NO/03") == [anywhere.id])
            #expect(try await claim(at: nil).isEmpty)
            #expect(try await claim(at: "FI/19") == [finland.id])
            #expect(try await claim(at: "SE/AB") == [either.id])
            #expect(try await claim(at: "FI/18") == [uusimaa.id])

            // Oldest first across the routes an agent may take, up to its places.
            let older = Sample.task(locations: ["FI/18"])
            let newer = Sample.task()
            let newest = Sample.task(locations: ["FI"])
            try await store.createTasks([older, newer, newest], at: Sample.time(2))
            #expect(try await store.poll(Sample.poll(maxTasks: 2, at: "FI/18"), at: Sample.time(3)).map(\.id) == [older.id, newer.id])
        }
    }

    @Test("task types are registered, replaced, listed and deleted", arguments: StoreEngine.allCases)
    func taskTypes(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = TaskTypeRecord(type: "wait", version: 1, taskSchemaJSON: #"{"type":"object"}"#, resultSchemaJSON: nil, created: Sample.time(0), updated: Sample.time(0))
            let created = try await store.putTaskType(first)
            #expect(created)
            let replaced = TaskTypeRecord(type: "wait", version: 1, taskSchemaJSON: #"{"required":["time"]}"#, resultSchemaJSON: #"{"type":"object"}"#, created: Sample.time(0), updated: Sample.time(5))
            let createdAgain = try await store.putTaskType(replaced)
            #expect(!createdAgain)
            let read = try await store.taskType("wait", version: 1)
            #expect(read == replaced)
            let all = try await store.taskTypes()
            #expect(all.map(\.version) == [1])
            let deleted = try await store.deleteTaskType("wait", version: 1)
            let deletedAgain = try await store.deleteTaskType("wait", version: 1)
            #expect(deleted && !deletedAgain)
            let gone = try await store.taskType("wait", version: 1)
            #expect(gone == nil)
        }
    }

    @Test("task data and results are stored only when checked against the current registration of their type",
          arguments: StoreEngine.allCases)
    func schemaGuards(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            // No type registered: stored at once.
            let plain = Sample.task(type: "plain")
            #expect(try await store.insertTask(plain, at: Sample.time(0))?.id == plain.id)

            let registration = TaskTypeRecord(
                type: "wait", version: 1, taskSchemaJSON: #"{"type":"object"}"#, resultSchemaJSON: #"{"required":["ok"]}"#,
                created: Sample.time(0), updated: Sample.time(0))
            _ = try await store.putTaskType(registration)
            var checked = Sample.task()
            // Unchecked, or checked against another registration: refused, nothing stored.
            #expect(try await store.insertTask(checked, at: Sample.time(1)) == nil)
            checked.schemaCheckedAgainst = Sample.time(-1)
            #expect(try await store.insertTask(checked, at: Sample.time(1)) == nil)
            #expect(try await store.task(id: checked.id) == nil)
            checked.schemaCheckedAgainst = registration.updated
            #expect(try await store.insertTask(checked, at: Sample.time(1))?.id == checked.id)
            var second = Sample.task()
            second.schemaCheckedAgainst = registration.updated
            #expect(try await store.insertTask(second, at: Sample.time(1))?.id == second.id)
            // Another version of the type has no schemas.
            let other = Sample.task(version: 2)
            #expect(try await store.insertTask(other, at: Sample.time(1))?.id == other.id)

            let agent = UUID()
            let claimed = try await store.poll(
                Sample.poll(agent: agent, capabilities: [Capability(type: "wait", version: 1), Capability(type: "plain", version: 1)], maxTasks: 5),
                at: Sample.time(2))
            #expect(Set(claimed.map(\.id)) == [plain.id, checked.id, second.id])
            // A result for the type with a result schema, unchecked: refused, the task still held.
            let recorded = try await store.recordOutcome(.result(json: #"{"ok":true}"#), forTask: checked.id, by: agent, at: Sample.time(3))
            #expect(!recorded)
            let held = try await store.task(id: checked.id)
            #expect(held?.state == .claimed && held?.agentID == agent)
            // Another agent is still told the task is not its own; an error is never held back.
            await #expect(throws: FleetError.taskHeldByAnotherAgent(checked.id)) {
                try await store.recordOutcome(.result(json: "{}"), forTask: checked.id, by: UUID(), at: Sample.time(3))
            }
            let failed = try await store.recordOutcome(.error("broken"), forTask: checked.id, by: agent, at: Sample.time(4))
            #expect(failed)
            #expect(try await store.task(id: checked.id)?.state == .failed)
            // Checked against the current registration: recorded; against one replaced since: refused.
            _ = try await store.putTaskType(TaskTypeRecord(
                type: "wait", version: 1, taskSchemaJSON: #"{"type":"object"}"#, resultSchemaJSON: #"{"required":["ok"]}"#,
                created: Sample.time(0), updated: Sample.time(5)))
            let stale = try await store.recordOutcome(
                .result(json: #"{"ok":true}"#), forTask: second.id, by: agent, at: Sample.time(6), resultCheckedAgainst: registration.updated)
            #expect(!stale)
            let current = try await store.recordOutcome(
                .result(json: #"{"ok":true}"#), forTask: second.id, by: agent, at: Sample.time(6), resultCheckedAgainst: Sample.time(5))
            #expect(current)
            #expect(try await store.task(id: second.id)?.state == .completed)
            // No result schema for the other type: recorded at once.
            let completed = try await store.recordOutcome(.result(json: "{}"), forTask: plain.id, by: agent, at: Sample.time(4))
            #expect(completed)
            #expect(try await store.task(id: plain.id)?.state == .completed)
        }
    }

    @Test("race: expiry against claim at the same instant; no task is both handed out and expired", arguments: StoreEngine.allCases)
    func expiryRace(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var tasks: [NewTask] = []
            for _ in 0..<40 { tasks.append(Sample.task(ttl: 10)) }
            try await store.createTasks(tasks, at: Sample.time(0))
            let agent = UUID()
            async let sweep = store.sweep(at: Sample.time(10), agentSeenSince: Sample.time(0), maxAttempts: 3)
            async let early = store.poll(Sample.poll(agent: agent, maxTasks: 20), at: Sample.time(9.999))
            async let late = store.poll(Sample.poll(agent: agent, maxTasks: 20), at: Sample.time(10))
            let (report, claimedEarly, claimedLate) = try await (sweep, early, late)
            #expect(claimedLate.isEmpty, "a task is never handed out at or after its expiry")
            let records = try await store.listTasks(TaskQuery(limit: 100)).tasks
            #expect(records.filter { $0.state == .claimed }.count == claimedEarly.count)
            #expect(records.filter { $0.state == .expired }.count == report.expired)
            #expect(claimedEarly.count + report.expired == 40)
        }
    }

    @Test("races: cancel against claim, and hand-back against a late result, end with exactly one outcome per task", arguments: StoreEngine.allCases)
    func races(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var tasks: [NewTask] = []
            for _ in 0..<60 { tasks.append(Sample.task()) }
            try await store.createTasks(tasks, at: Sample.time(0))
            let agent = UUID()
            // Cancel every task while an agent claims and completes them, all at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in tasks {
                    group.addTask { _ = try? await store.cancelTask(id: task.id, at: Sample.time(1)) }
                }
                group.addTask {
                    for _ in 0..<30 {
                        for claimed in try await store.poll(Sample.poll(agent: agent, maxTasks: 2), at: Sample.time(1)) {
                            _ = try? await store.recordOutcome(.result(json: "{}"), forTask: claimed.id, by: agent, at: Sample.time(2))
                        }
                    }
                }
                try await group.waitForAll()
            }
            for task in tasks {
                let record = try #require(try await store.task(id: task.id))
                // Either cancelled (and then never completed) or completed (and then the cancel was refused).
                #expect(record.state == .cancelled || record.state == .completed || record.state == .claimed)
                #expect(!(record.completed != nil && record.state == .cancelled))
            }

            // A late result against the hand-back sweep: the task ends once, handed back or completed.
            let lease = Sample.task()
            try await store.createTask(lease, at: Sample.time(10))
            let slow = UUID()
            _ = try await store.poll(Sample.poll(agent: slow), at: Sample.time(11))
            async let sweep = store.sweep(at: Sample.time(500), agentSeenSince: Sample.time(100), maxAttempts: 3)
            async let late: Bool? = try? store.recordOutcome(.result(json: "{}"), forTask: lease.id, by: slow, at: Sample.time(500))
            let (report, _) = try await (sweep, late)
            let record = try #require(try await store.task(id: lease.id))
            if report.handedBack == 1 {
                #expect(record.state == .waiting && record.completed == nil)
            } else {
                #expect(record.state == .completed)
            }
        }
    }
}
