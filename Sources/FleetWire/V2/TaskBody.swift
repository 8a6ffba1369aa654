import Foundation
import JSON
import JSONSchema

/// A task as `POST /v2/tasks` (and each entry of a batch) takes it: `task_type`, `task_version`, optional `task_id`
/// and `test_id`, `task_data` (an object), `ttl_seconds` and `locations` (where an agent must be to claim it).
public struct TaskBody: Sendable, Equatable {
    /// What the body says of the task's time to live.
    public enum TimeToLive: Sendable, Equatable {
        /// Not given: the fleet's default applies.
        case unstated
        /// `null`: the task waits for ever.
        case forever
        case seconds(Int64)
    }

    public let taskID: UUID?
    public let testID: UUID?
    public let type: String
    public let version: Int64
    public let data: JSONValue?
    public let timeToLive: TimeToLive
    /// As written; the AFM reads each as a location code.
    public let locations: [String]
    /// The JSON Schema a result must satisfy for the run to count as up.
    public let successSchema: JSONValue?
    /// The result's member (or JSON Pointer) holding the run's duration in seconds.
    public let durationField: String?

    public init(
        taskID: UUID? = nil, testID: UUID? = nil, type: String, version: Int64, data: JSONValue? = nil,
        timeToLive: TimeToLive = .unstated, locations: [String] = [], successSchema: JSONValue? = nil, durationField: String? = nil
    ) {
        self.successSchema = successSchema
        self.durationField = durationField
        self.taskID = taskID
        self.testID = testID
        self.type = type
        self.version = version
        self.data = data
        self.timeToLive = timeToLive
        self.locations = locations
    }

    public static let schema = try! JSONSchema(
        json: #"""
            {"type": "object", "additionalProperties": false, "required": ["task_type", "task_version"],
             "properties": {
                "task_id": {"type": "string", "format": "uuid"}, "test_id": {"type": "string", "format": "uuid"},
                "task_type": {"type": "string", "minLength": 1, "maxLength": 200},
                "task_version": {"type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991},
                "task_data": {"type": "object"},
                "ttl_seconds": {"type": ["integer", "null"], "minimum": 1, "maximum": 31536000},
                "locations": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string"}},
                "success_schema": {"type": ["object", "boolean"]},
                "duration_field": {"type": "string", "minLength": 1, "maxLength": 200}}}
            """#, options: .init(assertsFormats: true))

    /// Reads one task, refusing one that breaks the schema; violations are reported under `path` (`""`, or
    /// `/tasks/3` in a batch).
    public init(json body: JSONValue, path: String = "") throws(InvalidRequest) {
        let violations = Self.schema.validate(body)
        guard violations.isEmpty else {
            throw InvalidRequest("the task does not match the v2 task schema", violations: violations.map { $0.prefixed(path) })
        }
        let members = body.objectValue!
        let timeToLive: TimeToLive = switch members["ttl_seconds"] {
        case .none: .unstated
        case .some(let value): value.numberValue?.int64Value.map { .seconds($0) } ?? .forever
        }
        self.init(
            taskID: members["task_id"]?.stringValue.flatMap(UUID.init(canonicalText:)),
            testID: members["test_id"]?.stringValue.flatMap(UUID.init(canonicalText:)), type: members["task_type"]!.stringValue!,
            version: members["task_version"]!.numberValue!.int64Value!, data: members["task_data"], timeToLive: timeToLive,
            locations: members["locations"]?.arrayValue?.compactMap(\.stringValue) ?? [], successSchema: members["success_schema"],
            durationField: members["duration_field"]?.stringValue)
    }

    public func encoded() -> [UInt8] {
        var members: [String: JSONValue] = ["task_type": .string(type), "task_version": .number(.integer(version))]
        members["task_id"] = taskID.map { .string($0.canonical) }
        members["test_id"] = testID.map { .string($0.canonical) }
        members["task_data"] = data
        switch timeToLive {
        case .unstated: break
        case .forever: members["ttl_seconds"] = .null
        case .seconds(let seconds): members["ttl_seconds"] = .number(.integer(seconds))
        }
        if !locations.isEmpty { members["locations"] = .array(locations.map { .string($0) }) }
        members["success_schema"] = successSchema
        members["duration_field"] = durationField.map { .string($0) }
        return JSONWriter.bytes(from: .object(members))
    }
}
