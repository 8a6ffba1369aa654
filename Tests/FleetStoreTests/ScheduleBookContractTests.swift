import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import JSON
import Testing

/// The `ScheduleBook` contract: saving schedules and making each (schedule, slot, location) one task, on every engine.
@Suite("ScheduleBook contract")
struct ScheduleBookContractTests {
    static func schedule(
        _ name: String = "probe", every seconds: Int64 = 1, locations: [String] = [], ttl: Int64 = 1, paused: Bool = false,
        testID: UUID = UUID(), testIDGiven: Bool = true
    ) -> ScheduleDefinition {
        ScheduleDefinition(
            name: name, testID: testID, testIDGiven: testIDGiven, type: "wait", version: 1, dataJSON: #"{"time":1}"#,
            timing: .every(seconds: seconds), locations: locations.map { LocationCode(text: $0)! }, ttlSeconds: ttl, paused: paused)
    }

    static func limits(schedules: Int = 10, tasks: Int = 1_000) -> SlotPassLimits {
        SlotPassLimits(schedules: schedules, tasks: tasks, catchUp: 10)
    }

    /// Saves the schedule at `now` starting from its first slot at or after then; answers that slot.
    @discardableResult
    static func save(_ schedule: ScheduleDefinition, in store: any TaskStore, at now: Timestamp) async throws -> Timestamp {
        let first = schedule.timetable.firstSlot(atOrAfter: now)!
        _ = try await store.saveSchedule(schedule, firstSlot: first, at: now)
        return first
    }

    @Test("a schedule is saved, replaced keeping its slot and test id, listed by name and deleted", arguments: StoreEngine.allCases)
    func saving(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let original = Self.schedule("b-probe", locations: ["SE", "FI/18"], ttl: 5)
            let first = original.timetable.firstSlot(atOrAfter: Sample.time(0))!
            let saved = try await store.saveSchedule(original, firstSlot: first, at: Sample.time(0))
            #expect(saved.created)
            #expect(saved.record.definition == original && saved.record.nextSlot == first)
            #expect(saved.record.timetable == original.timetable)
            // The same timing again, no test id given: the slot it waits for and its test id stay.
            let replacement = Self.schedule("b-probe", locations: ["FI"], ttl: 7, testIDGiven: false)
            let replaced = try await store.saveSchedule(replacement, firstSlot: first.adding(seconds: 30), at: Sample.time(30))
            #expect(!replaced.created)
            #expect(replaced.record.nextSlot == first)
            #expect(replaced.record.definition.testID == original.testID && replaced.record.definition.ttlSeconds == 7)
            #expect(replaced.record.created == Sample.time(0) && replaced.record.updated == Sample.time(30))
            // A new interval starts from the slot given.
            let faster = Self.schedule("b-probe", every: 2, locations: ["FI"])
            let moved = try await store.saveSchedule(faster, firstSlot: Sample.time(40), at: Sample.time(40))
            #expect(moved.record.nextSlot == Sample.time(40))
            try await Self.save(Self.schedule("a-probe"), in: store, at: Sample.time(0))
            try await Self.save(Self.schedule("c-probe"), in: store, at: Sample.time(0))
            #expect(try await store.schedules(after: nil, limit: 2).map(\.definition.name) == ["a-probe", "b-probe"])
            #expect(try await store.schedules(after: "b-probe", limit: 2).map(\.definition.name) == ["c-probe"])
            #expect(try await store.deleteSchedule(named: "b-probe"))
            #expect(try await !store.deleteSchedule(named: "b-probe"))
            #expect(try await store.schedule(named: "b-probe") == nil)
        }
    }

    @Test("a due slot becomes one task per location, routed there, carrying the schedule, the slot and the test id",
          arguments: StoreEngine.allCases)
    func slotTasks(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let schedule = Self.schedule(locations: ["FI", "SE"], ttl: 5)
            let first = try await Self.save(schedule, in: store, at: Sample.time(0))
            #expect(try await store.createDueSlots(at: first.adding(seconds: -0.001), limits: Self.limits(schedules: 10)).created.isEmpty)
            let pass = try await store.createDueSlots(at: first.adding(seconds: 0.1), limits: Self.limits(schedules: 10))
            #expect(pass.created.count == 1)
            #expect(pass.created.first?.slot == first)
            #expect(Set(pass.created.first?.kinds.flatMap(\.locations).map(\.description) ?? []) == ["FI", "SE"])
            #expect(pass.nextDue == first.adding(seconds: 1))
            // The same time again: nothing more.
            #expect(try await store.createDueSlots(at: first.adding(seconds: 0.1), limits: Self.limits(schedules: 10)).created.isEmpty)
            let history = try await store.slotHistory(ofSchedule: "probe", from: first, to: first.adding(seconds: 1), limit: 10)
            #expect(history.tasks.count == 2)
            for task in history.tasks {
                #expect(task.schedule == "probe" && task.slot == first && task.testID == schedule.testID)
                #expect(task.expires == first.adding(seconds: 5) && task.ttlSeconds == 5 && task.locations.count == 1)
            }
            let inSweden = try await store.poll(Sample.poll(maxTasks: 5, at: "SE/AB"), at: first.adding(seconds: 0.2))
            #expect(inSweden.count == 1)
            #expect(history.tasks.first { $0.id == inSweden.first?.id }?.locations.map(\.description) == ["SE"])
            #expect(try await store.poll(Sample.poll(maxTasks: 5, at: "NO/03"), at: first.adding(seconds: 0.2)).isEmpty)
        }
    }

    @Test("a slot made again, by passes at once or after the schedule restarted at it, is still one task per location",
          arguments: StoreEngine.allCases)
    func exactlyOnce(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let schedules = (0..<20).map { Self.schedule("probe-\($0)", locations: ["FI", "SE"], ttl: 10) }
            var firsts: [Timestamp] = []
            for schedule in schedules { firsts.append(try await Self.save(schedule, in: store, at: Sample.time(0))) }
            let now = Sample.time(3.5)
            let passes = try await withThrowingTaskGroup(of: SlotPass.self) { group in
                for _ in 0..<8 { group.addTask { try await store.createDueSlots(at: now, limits: Self.limits(schedules: 5)) } }
                var passes: [SlotPass] = []
                for try await pass in group { passes.append(pass) }
                return passes
            }
            // Whatever the passes did between them, the rest are made by more passes.
            var made = passes.flatMap(\.created)
            while true {
                let pass = try await store.createDueSlots(at: now, limits: Self.limits(schedules: 5))
                made += pass.created
                if !pass.reachedLimit { break }
            }
            // Pausing and resuming at the same time restarts each schedule at the slots already made.
            for schedule in schedules {
                let paused = Self.schedule(schedule.name, locations: ["FI", "SE"], ttl: 10, paused: true, testID: schedule.testID)
                try await Self.save(paused, in: store, at: Sample.time(0))
                try await Self.save(schedule, in: store, at: Sample.time(0))
            }
            made += try await store.createDueSlots(at: now, limits: Self.limits(schedules: 100)).created
            var expected = 0
            for (schedule, first) in zip(schedules, firsts) {
                let slots = schedule.timetable.slots(from: first, through: now, limit: 100)
                expected += slots.count
                let history = try await store.slotHistory(ofSchedule: schedule.name, from: Sample.time(-10), to: Sample.time(10), limit: 100)
                #expect(history.tasks.count == 2 * slots.count, "\(schedule.name)")
                #expect(Set(history.tasks.map { "\($0.slot!.microsecondsSinceEpoch) \($0.locations)" }).count == history.tasks.count)
            }
            #expect(made.count == expected)
            #expect(made.allSatisfy { $0.kinds.count == 2 })
        }
    }

    @Test("a pass makes at most its task limit, the first schedule whole, and says when it left due slots for the next",
          arguments: StoreEngine.allCases)
    func taskLimit(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            // Three schedules of four locations, each due once (every 10 s): twelve tasks, four per schedule.
            let schedules = (0..<3).map { Self.schedule("probe-\($0)", every: 10, locations: ["FI", "SE", "NO", "DK"], ttl: 10) }
            var firsts: [Timestamp] = []
            for schedule in schedules { firsts.append(try await Self.save(schedule, in: store, at: Sample.time(0))) }
            let now = (firsts.max() ?? Sample.time(0)).adding(seconds: 0.5)
            // A limit under one schedule's count still makes that schedule whole.
            let first = try await store.createDueSlots(at: now, limits: Self.limits(tasks: 3))
            #expect(first.created.count == 1 && first.created.first?.kinds.count == 4)
            #expect(first.reachedLimit)
            // Two more schedules would be eight: only one fits under six.
            let second = try await store.createDueSlots(at: now, limits: Self.limits(tasks: 6))
            #expect(second.created.count == 1 && second.reachedLimit)
            let third = try await store.createDueSlots(at: now, limits: Self.limits(tasks: 6))
            #expect(third.created.count == 1 && !third.reachedLimit)
            #expect(Set((first.created + second.created + third.created).map(\.schedule)) == Set(schedules.map(\.name)))
            #expect(try await store.createDueSlots(at: now, limits: Self.limits(tasks: 6)).created.isEmpty)
        }
    }

    @Test("slots too old for their time to live are recorded as missed, once, with the timetable they were counted by",
          arguments: StoreEngine.allCases)
    func missed(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let schedule = Self.schedule(every: 10, ttl: 20)
            let first = try await Self.save(schedule, in: store, at: Sample.time(0))
            // Nobody ran the schedule for 95 s: the slots of the last 20 s get tasks, the older ones are missed.
            let pass = try await store.createDueSlots(at: first.adding(seconds: 95), limits: Self.limits(schedules: 10))
            #expect(pass.created.map(\.slot) == [80, 90].map { first.adding(seconds: $0) })
            #expect(pass.missed.count == 1)
            #expect(pass.missed.first?.slots == MissedSlots(first: first, last: first.adding(seconds: 70), count: 8))
            let history = try await store.slotHistory(ofSchedule: schedule.name, from: first, to: first.adding(seconds: 100), limit: 100)
            #expect(history.tasks.count == 2)
            #expect(history.missed.count == 1 && history.missed.first?.timetable == schedule.timetable)
            #expect(history.missed.first?.slots.count == 8)
            // A paused schedule makes nothing.
            try await Self.save(Self.schedule(every: 10, ttl: 20, paused: true), in: store, at: first.adding(seconds: 96))
            let paused = try await store.createDueSlots(at: first.adding(seconds: 500), limits: Self.limits(schedules: 10))
            #expect(paused.created.isEmpty && paused.missed.isEmpty && paused.nextDue == nil)
        }
    }
}
