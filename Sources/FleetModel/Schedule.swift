import Foundation
import JSON

/// A recurring task as the BPMS defines it (`PUT /v2/schedules/{name}`): what to run, when, where and for how long
/// each slot's task may wait.
public struct ScheduleDefinition: Sendable, Equatable {
    public let name: String
    public let testID: UUID
    /// False when the BPMS gave no test id: a schedule being replaced then keeps the one it has.
    public let testIDGiven: Bool
    public let type: String
    public let version: Int64
    /// `task_data` as serialized JSON, nil when none was given.
    public let dataJSON: String?
    public let timing: ScheduleTiming
    /// One task per location per slot; empty for one task per slot to any capable agent.
    public let locations: [LocationCode]
    /// How long a slot's task may wait to be claimed, from the slot time.
    public let ttlSeconds: Int64
    public let paused: Bool
    /// What makes a run count as up, given to each slot's task.
    public let runRule: RunRule?
    /// When failures become an incident; nil for none.
    public let alert: AlertRule?

    public init(
        name: String, testID: UUID, testIDGiven: Bool = true, type: String, version: Int64, dataJSON: String?,
        timing: ScheduleTiming, locations: [LocationCode] = [], ttlSeconds: Int64, paused: Bool = false, runRule: RunRule? = nil,
        alert: AlertRule? = nil
    ) {
        self.runRule = runRule
        self.alert = alert
        self.name = name
        self.testID = testID
        self.testIDGiven = testIDGiven
        self.type = type
        self.version = version
        self.dataJSON = dataJSON
        self.timing = timing
        self.locations = Array(Set(locations)).sorted()
        self.ttlSeconds = ttlSeconds
        self.paused = paused
    }

    public var timetable: Timetable { Timetable(timing: timing, scheduleName: name) }

    /// Names are path segments: letters, digits, `.`, `_`, `-` and `~`, 1 to 100 of them.
    public static func isValidName(_ name: some StringProtocol) -> Bool {
        (1...100).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "._-~".utf8.contains(byte)
            }
    }
}

/// A stored schedule: its definition, the slot it waits for, and when it was created and last changed.
public struct ScheduleRecord: Sendable, Equatable {
    public let definition: ScheduleDefinition
    public let timetable: Timetable
    /// The next slot to create a task for; slots before it were created or recorded as missed.
    public let nextSlot: Timestamp
    public let created: Timestamp
    public let updated: Timestamp

    public init(definition: ScheduleDefinition, timetable: Timetable, nextSlot: Timestamp, created: Timestamp, updated: Timestamp) {
        self.definition = definition
        self.timetable = timetable
        self.nextSlot = nextSlot
        self.created = created
        self.updated = updated
    }
}
