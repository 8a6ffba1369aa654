import FleetModel
import FleetService
import FleetStore
import FleetTestSupport
import Foundation
import JSON
import Testing

/// The domain over each engine: creation with schemas, idempotent repeats, outcomes checked against result
/// schemas, registrations replaced by another process between a check and a write.
@Suite("Task service")
struct TaskServiceTests {
    static func fleet(_ store: any TaskStore, clock: ManualClock = ManualClock()) -> FleetService {
        FleetService(store: store, policy: FleetPolicy(), clock: clock, logger: testLogger)
    }

    @Test("creating again with the same body is idempotent; a different body is a conflict; an omitted test id matches",
          arguments: StoreEngine.allCases)
    func idempotentCreate(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let tasks = Self.fleet(store).tasks
            let task = Sample.task(ttl: 60)
            #expect(try await tasks.create(task, data: nil).created)
            let again = try await tasks.create(task, data: nil)
            #expect(!again.created && again.record.id == task.id)
            let changed = Sample.task(data: #"{"time":2}"#, id: task.id, testID: task.testID, ttl: 60)
            await #expect(throws: FleetError.taskConflict(task.id)) { _ = try await tasks.create(changed, data: nil) }
            // Without a test id from the BPMS each request generates another; the repeat is still the same task.
            let untested = NewTask(id: UUID(), testID: UUID(), testIDGiven: false, type: "wait", version: 1, dataJSON: nil)
            #expect(try await tasks.create(untested, data: nil).created)
            let repeated = NewTask(id: untested.id, testID: UUID(), testIDGiven: false, type: "wait", version: 1, dataJSON: nil)
            let found = try await tasks.create(repeated, data: nil)
            #expect(!found.created && found.record.testID == untested.testID)
        }
    }

    @Test("data is checked against the registration current in the store, even one made by another process",
          arguments: StoreEngine.allCases)
    func registrationFromElsewhere(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let clock = ManualClock()
            let fleet = Self.fleet(store, clock: clock)
            // This process has seen the type without schemas.
            #expect(try await fleet.taskTypes.taskType("probe", version: 1) == nil)
            #expect(try await fleet.tasks.create(Sample.task(type: "probe", data: #"{"url":1}"#), data: ["url": 1]).created)
            // Another process registers a schema: the next task is checked against it.
            _ = try await Self.fleet(store, clock: clock).taskTypes.put(
                type: "probe", version: 1, taskSchema: ["required": ["url"], "properties": ["url": ["type": "string"]]], resultSchema: nil)
            await #expect(throws: InvalidDocument.self) {
                _ = try await fleet.tasks.create(Sample.task(type: "probe", data: #"{"url":1}"#), data: ["url": 1])
            }
            let valid = Sample.task(type: "probe", data: #"{"url":"https://example.com/"}"#)
            #expect(try await fleet.tasks.create(valid, data: ["url": "https://example.com/"]).created)
            // Another process replaces it (a later time): the remembered schema is not trusted.
            clock.advance(seconds: 1)
            _ = try await Self.fleet(store, clock: clock).taskTypes.put(
                type: "probe", version: 1, taskSchema: ["properties": ["url": ["type": "integer"]]], resultSchema: nil)
            #expect(try await fleet.tasks.create(Sample.task(type: "probe", data: #"{"url":1}"#), data: ["url": 1]).created)
            // And removes it: a task the old schema refused is stored.
            #expect(try await Self.fleet(store, clock: clock).taskTypes.delete("probe", version: 1))
            #expect(try await fleet.tasks.create(Sample.task(type: "probe", data: #"{"url":"x"}"#), data: ["url": "x"]).created)
        }
    }

    @Test("a result that breaks the result schema fails the task with the reasons", arguments: StoreEngine.allCases)
    func resultChecked(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            _ = try await fleet.taskTypes.put(type: "wait", version: 1, taskSchema: [:], resultSchema: ["required": ["ok"]])
            let good = Sample.task()
            let bad = Sample.task()
            _ = try await fleet.tasks.create(good, data: ["time": 1])
            _ = try await fleet.tasks.create(bad, data: ["time": 1])
            let agent = UUID()
            let claimed = try await fleet.tasks.poll(Sample.poll(agent: agent, maxTasks: 2))
            #expect(claimed.tasks.count == 2)
            #expect(try await fleet.tasks.recordOutcome(.result(json: #"{"ok":true}"#), forTask: good.id, by: agent).isResult)
            let recorded = try await fleet.tasks.recordOutcome(.result(json: #"{"other":1}"#), forTask: bad.id, by: agent)
            guard case .error(let reason) = recorded else { Issue.record("a result breaking the schema was recorded"); return }
            #expect(reason.contains("result schema of wait version 1"))
            #expect(try await store.task(id: good.id)?.state == .completed)
            #expect(try await store.task(id: bad.id)?.state == .failed)
        }
    }

    @Test("the sweep expires tasks on the injected clock", arguments: [StoreEngine.sqliteMemory])
    func sweepOnClock(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let clock = ManualClock()
            let fleet = Self.fleet(store, clock: clock)
            let task = Sample.task(ttl: 30)
            _ = try await fleet.tasks.create(task, data: nil)
            await fleet.sweeper.sweepOnce()
            #expect(try await store.task(id: task.id)?.state == .waiting)
            clock.advance(seconds: 31)
            await fleet.sweeper.sweepOnce()
            #expect(try await store.task(id: task.id)?.state == .expired)
        }
    }
}
