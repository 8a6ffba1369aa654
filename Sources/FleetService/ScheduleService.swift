import FleetModel
import FleetStore
import JSON

/// Schedules as the BPMS keeps them: saved with their task data checked against the task type's schema, read,
/// listed and deleted; and the account of their slots (`runs`).
public struct ScheduleService: Sendable {
    let book: any ScheduleBook
    let catalog: TaskTypeCatalog
    let clock: any FleetClock

    /// The domain's time, for answers that say what is due or expired now.
    public var now: Timestamp { clock.now() }
    /// Tells this process's runner that a schedule changed, so that a first slot sooner than its next pass is not late.
    let changed: @Sendable () -> Void

    /// The most runs (slots × locations) `runs` answers at once; a schedule with many locations gets fewer slots a page.
    public static let maximumRuns = 10_000

    /// Saves the schedule; throws `InvalidDocument` when its data does not satisfy its task type's task schema.
    public func save(_ schedule: ScheduleDefinition, data: JSONValue?) async throws -> (record: ScheduleRecord, created: Bool) {
        if let registration = try await catalog.current(schedule.type, version: schedule.version) {
            let violations = try catalog.taskDataViolations(data, against: registration)
            guard violations.isEmpty else {
                throw InvalidDocument(
                    "task_data does not match the schema of \(schedule.type) version \(schedule.version)",
                    violations: violations.map { $0.prefixed("/task_data") })
            }
        }
        let now = clock.now()
        guard let firstSlot = schedule.timetable.firstSlot(atOrAfter: now) else {
            throw InvalidDocument("the schedule's cron expression names no minute from now on")
        }
        let saved = try await book.saveSchedule(schedule, firstSlot: firstSlot, at: now)
        changed()
        return saved
    }

    public func schedule(named name: String) async throws -> ScheduleRecord? { try await book.schedule(named: name) }

    public func list(after name: String?, limit: Int) async throws -> [ScheduleRecord] { try await book.schedules(after: name, limit: limit) }

    public func delete(named name: String) async throws -> Bool { try await book.deleteSchedule(named: name) }

    /// One slot's run in one place.
    public struct SlotRun: Sendable {
        public enum Status: Sendable {
            /// The slot's task there, in whatever state it is.
            case task(TaskRecord)
            /// No task was made: no pass came to the slot while it was younger than its time to live.
            case missed
            /// The slot is due and its task not made yet: the next pass makes it.
            case due
        }
        /// Nil for a schedule without locations.
        public let location: LocationCode?
        public let status: Status
    }

    /// A slot and its runs, one per location.
    public struct Slot: Sendable {
        public let time: Timestamp
        public let runs: [SlotRun]
    }

    /// The slots of [from, to), oldest first, at most `limit` and at most `maximumRuns` runs (then more follow); nil
    /// when there is no such schedule.
    public func runs(of name: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> (slots: [Slot], more: Bool)? {
        guard let schedule = try await book.schedule(named: name) else { return nil }
        let places = max(1, schedule.definition.locations.count)
        let limit = max(1, min(limit, Self.maximumRuns / places - 1))
        let history = try await book.slotHistory(ofSchedule: name, from: from, to: to, limit: (limit + 1) * places)
        let last = Timestamp(microsecondsSinceEpoch: to.microsecondsSinceEpoch - 1)
        var runs: [Timestamp: [SlotRun]] = [:]
        for task in history.tasks {
            guard let slot = task.slot else { continue }
            runs[slot, default: []].append(SlotRun(location: task.locations.first, status: .task(task)))
        }
        func add(_ slots: [Timestamp], locations: [LocationCode], _ status: SlotRun.Status) {
            let places: [LocationCode?] = locations.isEmpty ? [nil] : locations
            for slot in slots where runs[slot] == nil {
                runs[slot] = places.map { SlotRun(location: $0, status: status) }
            }
        }
        // Missed runs come oldest first: a page never needs more than its length of them, however many there are.
        var missedSlots = 0
        for missed in history.missed where missedSlots <= limit {
            guard let first = missed.timetable.firstSlot(atOrAfter: max(missed.slots.first, from)) else { continue }
            let slots = missed.timetable.slots(from: first, through: min(missed.slots.last, last), limit: limit + 1 - missedSlots)
            missedSlots += slots.count
            add(slots, locations: missed.locations, .missed)
        }
        let now = clock.now()
        if !schedule.definition.paused, let first = schedule.timetable.firstSlot(atOrAfter: max(schedule.nextSlot, from)) {
            add(schedule.timetable.slots(from: first, through: min(now, last), limit: limit + 1), locations: schedule.definition.locations, .due)
        }
        let slots = runs.sorted { $0.key < $1.key }.map { time, runs in
            Slot(time: time, runs: runs.sorted { ($0.location?.description ?? "") < ($1.location?.description ?? "") })
        }
        return (Array(slots.prefix(limit)), slots.count > limit)
    }
}
