import FleetModel
import JSON

/// Schedules and their slots: each (schedule, slot, location) becomes one task, however many `afm` processes
/// create slots at once, because the tasks table holds a unique key on them; slots too old to run are recorded as
/// missed runs of slots.
public protocol ScheduleBook: Sendable {
    /// Creates or replaces the schedule. A new schedule, one whose timing changed and one that was paused start at
    /// `firstSlot`; otherwise the slot it waits for stays. A replacement without a given test id keeps its own.
    /// Answers the stored schedule and whether it is new.
    func saveSchedule(_ schedule: ScheduleDefinition, firstSlot: Timestamp, at now: Timestamp) async throws -> (record: ScheduleRecord, created: Bool)
    func schedule(named name: String) async throws -> ScheduleRecord?
    /// Schedules in name order, after `name` when one is given.
    func schedules(after name: String?, limit: Int) async throws -> [ScheduleRecord]
    /// Removes the schedule and its missed slots; its tasks stay. False when there was none.
    func deleteSchedule(named name: String) async throws -> Bool
    /// Creates the tasks of due slots of schedules not being worked on by another process, earliest slot first, and
    /// records the slots too old for a task as missed (`Timetable.plan`), within `limits`.
    func createDueSlots(at now: Timestamp, limits: SlotPassLimits) async throws -> SlotPass
    /// The schedule's tasks with slots in [from, to), by slot and location, at most `limit`; and its missed slots
    /// that overlap the window.
    func slotHistory(ofSchedule name: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> SlotHistory
}

/// How much one pass of `createDueSlots` may do, so that a pass after a long outage or over schedules with many
/// locations stays a short transaction.
public struct SlotPassLimits: Sendable {
    /// Due schedules read (and, on PostgreSQL, locked) at most.
    public let schedules: Int
    /// Tasks created at most; the first schedule is taken whole whatever its count, so that every schedule can be
    /// made, and a schedule whose due slots are all missed counts as one.
    public let tasks: Int
    /// Slots younger than their time to live made per schedule at most (the newest).
    public let catchUp: Int

    public init(schedules: Int, tasks: Int, catchUp: Int) {
        self.schedules = schedules
        self.tasks = tasks
        self.catchUp = catchUp
    }
}

/// What one pass of `createDueSlots` did.
public struct SlotPass: Sendable {
    /// A slot whose tasks were created now, one per location (fewer when some existed already).
    public struct CreatedSlot: Sendable {
        public let schedule: String
        public let slot: Timestamp
        public let kinds: [TaskKind]

        /// The slots of the tasks a pass inserted, from each one's slot and route.
        package static func grouping(_ inserted: [(slot: Timestamp, route: String)], of schedule: ScheduleDefinition) -> [CreatedSlot] {
            let capability = Capability(type: schedule.type, version: schedule.version)
            return Dictionary(grouping: inserted, by: \.slot).sorted { $0.key < $1.key }.map { slot, tasks in
                CreatedSlot(
                    schedule: schedule.name, slot: slot,
                    kinds: tasks.map { TaskKind(capability: capability, locations: LocationCode(text: $0.route).map { [$0] } ?? []) })
            }
        }
    }
    public var created: [CreatedSlot] = []
    public var missed: [(schedule: String, slots: MissedSlots)] = []
    /// The pass stopped at one of its limits: more slots may be due now.
    public var reachedLimit = false
    /// The earliest slot any schedule waits for now, nil when none is active.
    public var nextDue: Timestamp?

    public init() {}
}

/// A schedule's tasks and missed slots in a window.
public struct SlotHistory: Sendable {
    public let tasks: [TaskRecord]
    /// Each with the timetable its slots were counted by.
    public let missed: [(slots: MissedSlots, timetable: Timetable, locations: [LocationCode])]

    package init(tasks: [TaskRecord], missed: [(slots: MissedSlots, timetable: Timetable, locations: [LocationCode])]) {
        self.tasks = tasks
        self.missed = missed
    }
}
