import FleetModel
@testable import FleetService
import FleetStore
import FleetTestSupport
import Foundation
import JSON
import Synchronization
import Testing

/// The schedule runner and service in the domain, on each engine: slots made on time wake the polls held where they
/// run, their lag and the missed ones are reported, and task data is checked when a schedule is saved.
@Suite("Schedule runner")
struct ScheduleRunnerTests {
    /// Counts what the runner reports.
    final class Recorder: FleetEvents {
        let lags = Mutex<[Double]>([])
        let missed = Mutex(0)
        func tasks(_ event: TaskEvent, count: Int) {}
        func claimed(batchSize: Int) {}
        func fleet(activeAgents: Int, waitingTasks: Int) {}
        func claimed(afterWaiting seconds: Double) {}
        func heldPolls(_ count: Int) {}
        func slotCreated(lagSeconds: Double) { lags.withLock { $0.append(lagSeconds) } }
        func slotsMissed(_ count: Int) { missed.withLock { $0 += count } }
    }

    static func schedule(every seconds: Int64 = 10, locations: [String] = ["FI"]) -> ScheduleDefinition {
        ScheduleDefinition(
            name: "probe", testID: UUID(), type: "wait", version: 1, dataJSON: #"{"time":1}"#, timing: .every(seconds: seconds),
            locations: locations.map { LocationCode(text: $0)! }, ttlSeconds: seconds)
    }

    @Test("a slot's task wakes a poll held in its location, not one elsewhere; its lag is reported", arguments: StoreEngine.allCases)
    func wakesHeldPolls(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let clock = ManualClock()
            let events = Recorder()
            let fleet = FleetService(
                store: store, policy: FleetPolicy(agentActiveThreshold: 3600, maximumPollWait: 300), events: events, clock: clock,
                logger: testLogger)
            let saved = try await fleet.schedules.save(Self.schedule(), data: ["time": 1])
            #expect(saved.created)
            let hangUp = ManualHangUp()
            let elsewhere = try await HeldPollTests.hold(fleet.tasks, fleet.wakeups.held, Sample.poll(at: "SE/AB"), hangUp: hangUp)
            let finland = try await HeldPollTests.hold(fleet.tasks, fleet.wakeups.held, Sample.poll(at: "FI/18"))
            // Before the slot: nothing; the runner would sleep until it.
            let untilSlot = try await fleet.scheduleRunner.passOnce()
            #expect(untilSlot > .zero && untilSlot <= .seconds(1))
            clock.advance(seconds: clock.now().seconds(until: saved.record.nextSlot) + 0.25)
            try await fleet.scheduleRunner.passOnce()
            let answer = try await finland.value
            #expect(answer.tasks.count == 1 && answer.tasks.first?.type == "wait")
            #expect(fleet.wakeups.held.count == 1)
            hangUp.hangUp()
            #expect(try await elsewhere.value.tasks.isEmpty)
            #expect(events.lags.withLock { $0 } == [0.25])
        }
    }

    /// The real store, whose passes take `seconds` of the test's clock.
    struct SlowBook: ScheduleBook {
        let store: any TaskStore
        let clock: ManualClock
        let seconds: Double

        func createDueSlots(at now: Timestamp, limits: SlotPassLimits) async throws -> SlotPass {
            defer { clock.advance(seconds: seconds) }
            return try await store.createDueSlots(at: now, limits: limits)
        }
        func saveSchedule(_ schedule: ScheduleDefinition, firstSlot: Timestamp, at now: Timestamp) async throws -> (record: ScheduleRecord, created: Bool) {
            try await store.saveSchedule(schedule, firstSlot: firstSlot, at: now)
        }
        func schedule(named name: String) async throws -> ScheduleRecord? { try await store.schedule(named: name) }
        func schedules(after name: String?, limit: Int) async throws -> [ScheduleRecord] { try await store.schedules(after: name, limit: limit) }
        func deleteSchedule(named name: String) async throws -> Bool { try await store.deleteSchedule(named: name) }
        func slotHistory(ofSchedule name: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> SlotHistory {
            try await store.slotHistory(ofSchedule: name, from: from, to: to, limit: limit)
        }
    }

    @Test("after a slow pass the runner sleeps only until the next slot, not a whole interval from the pass's start")
    func slowPass() async throws {
        try await StoreEngine.sqliteMemory.withStore { store in
            let clock = ManualClock()
            let book = SlowBook(store: store, clock: clock, seconds: 0.7)
            let schedule = Self.schedule(every: 1)
            let first = schedule.timetable.firstSlot(atOrAfter: clock.now())!
            _ = try await store.saveSchedule(schedule, firstSlot: first, at: clock.now())
            clock.advance(seconds: clock.now().seconds(until: first))
            let runner = ScheduleRunner(
                book: book, clock: clock, events: UncountedEvents(),
                wakeups: TaskWakeups(held: HeldPolls(events: UncountedEvents()), notifications: NoNotifications()), logger: testLogger,
                changes: ScheduleChanges())
            // The slot at `first` took 0.7 s to make: the next, at first + 1 s, is 0.3 s away.
            let pause = try await runner.passOnce()
            #expect(pause == .milliseconds(300))
        }
    }

    @Test("slots nobody made in time are reported missed; a schedule's data is checked against its type's schema when saved",
          arguments: StoreEngine.allCases)
    func missedAndChecked(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let clock = ManualClock()
            let events = Recorder()
            let fleet = FleetService(store: store, policy: FleetPolicy(), events: events, clock: clock, logger: testLogger)
            let saved = try await fleet.schedules.save(Self.schedule(locations: []), data: ["time": 1])
            clock.advance(seconds: clock.now().seconds(until: saved.record.nextSlot) + 35)
            try await fleet.scheduleRunner.passOnce()
            #expect(events.missed.withLock { $0 } == 3)
            #expect(events.lags.withLock { $0 } == [5])
            let runs = try #require(
                try await fleet.schedules.runs(of: "probe", from: saved.record.nextSlot, to: saved.record.nextSlot.adding(seconds: 40), limit: 10))
            #expect(runs.slots.map { $0.runs.map { "\($0.status)".prefix(4) } } == [["miss"], ["miss"], ["miss"], ["task"]])

            _ = try await fleet.taskTypes.put(type: "wait", version: 1, taskSchema: ["type": "object", "required": ["time"]], resultSchema: nil)
            await #expect(throws: InvalidDocument.self) { try await fleet.schedules.save(Self.schedule(), data: ["seconds": 1]) }
            #expect(try await fleet.schedules.schedule(named: "probe")?.definition.locations.isEmpty == true)
        }
    }
}
