import Foundation
import JSON

/// A schedule as `PUT`, `GET /v2/schedules/{name}` and the schedule list answer it.
public struct ScheduleAnswer: Sendable, Equatable {
    /// `every_seconds` or `cron`.
    public enum Timing: Sendable, Equatable {
        case everySeconds(Int64)
        case cron(String)
    }

    public let name: String
    public let testID: UUID
    public let type: String
    public let version: Int64
    public let data: JSONValue
    public let timing: Timing
    public let offsetSeconds: Double
    public let ttlSeconds: Int64
    public let paused: Bool
    public let locations: [String]
    public let nextSlot: Timestamp
    public let created: Timestamp
    public let updated: Timestamp
    public var successSchema: JSONValue?
    public var durationField: String?
    /// `failing_locations` and `recover_after`.
    public var alert: (failingLocations: Int, recoverAfter: Int)?

    public static func == (lhs: ScheduleAnswer, rhs: ScheduleAnswer) -> Bool {
        lhs.json == rhs.json
    }

    public init(
        name: String, testID: UUID, type: String, version: Int64, data: JSONValue, timing: Timing, offsetSeconds: Double,
        ttlSeconds: Int64, paused: Bool, locations: [String], nextSlot: Timestamp, created: Timestamp, updated: Timestamp
    ) {
        self.name = name
        self.testID = testID
        self.type = type
        self.version = version
        self.data = data
        self.timing = timing
        self.offsetSeconds = offsetSeconds
        self.ttlSeconds = ttlSeconds
        self.paused = paused
        self.locations = locations
        self.nextSlot = nextSlot
        self.created = created
        self.updated = updated
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name), "test_id": .string(testID.canonical), "task_type": .string(type),
            "task_version": .number(.integer(version)), "task_data": data, "ttl_seconds": .number(.integer(ttlSeconds)),
            "paused": .bool(paused), "offset_seconds": .number(.double(offsetSeconds)), "next_slot": .string(nextSlot.iso8601Text),
            "created": .string(created.iso8601Text), "updated": .string(updated.iso8601Text),
        ]
        switch timing {
        case .everySeconds(let seconds): members["every_seconds"] = .number(.integer(seconds))
        case .cron(let expression): members["cron"] = .string(expression)
        }
        if !locations.isEmpty { members["locations"] = .array(locations.map { .string($0) }) }
        members["success_schema"] = successSchema
        members["duration_field"] = durationField.map { .string($0) }
        if let alert {
            members["alert"] = [
                "failing_locations": .number(.integer(Int64(alert.failingLocations))), "recover_after": .number(.integer(Int64(alert.recoverAfter))),
            ]
        }
        return .object(members)
    }
}
