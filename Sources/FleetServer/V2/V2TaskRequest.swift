import FleetModel
import Foundation
import JSON
import JSONSchema

/// A task as `POST /v2/tasks` takes it: `task_type`, `task_version`, optional `task_id` (generated when absent),
/// `test_id` (generated when absent), `task_data` (an object), `ttl_seconds` and `locations` (where an agent must
/// be to claim it).
struct V2TaskRequest {
    let task: NewTask
    let data: JSONValue?

    static let schema = try! JSONSchema(
        json: #"""
            {"type": "object", "additionalProperties": false, "required": ["task_type", "task_version"],
             "properties": {
                "task_id": {"type": "string", "format": "uuid"}, "test_id": {"type": "string", "format": "uuid"},
                "task_type": {"type": "string", "minLength": 1, "maxLength": 200},
                "task_version": {"type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991},
                "task_data": {"type": "object"},
                "ttl_seconds": {"type": ["integer", "null"], "minimum": 1, "maximum": 31536000},
                "locations": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string"}}}}
            """#, options: .init(assertsFormats: true))

    /// Parses one task; violations are reported under `path` (`""`, or `/tasks/3` in a batch).
    init(_ body: JSONValue, path: String = "") throws {
        let violations = Self.schema.validate(body)
        guard violations.isEmpty else {
            throw APIError(.badRequest, "the task does not match the v2 task schema", violations: violations.map { $0.prefixed(path) })
        }
        if let field = TextField.firstUnstorable(in: body, documents: ["task_data"]) {
            throw APIError(.badRequest, TextField.unstorableMessage(path.isEmpty ? field : "\(path): \(field)"))
        }
        let members = body.objectValue!
        let id = members["task_id"]?.stringValue.flatMap(UUID.init(canonicalText:)) ?? UUID()
        let givenTestID = members["test_id"]?.stringValue.flatMap(UUID.init(canonicalText:))
        data = members["task_data"]
        let locations = try Self.locations(members["locations"], path: path)
        task = NewTask(
            id: id, testID: givenTestID ?? UUID(), testIDGiven: givenTestID != nil, type: members["task_type"]!.stringValue!,
            version: members["task_version"]!.numberValue!.int64Value!, dataJSON: data.map { JSONWriter.string(from: $0) },
            ttlSeconds: members["ttl_seconds"]?.numberValue?.int64Value,
            ttlGiven: members["ttl_seconds"] != nil, locations: locations)
    }

    /// The codes of a schema-checked `locations` array (absent: none); 400 naming the first that is not a code.
    static func locations(_ value: JSONValue?, path: String = "") throws -> [LocationCode] {
        var locations: [LocationCode] = []
        for text in value?.arrayValue?.compactMap(\.stringValue) ?? [] {
            guard let code = LocationCode(text: text) else {
                throw APIError(
                    .badRequest, "\(path.isEmpty ? "" : "\(path)/")locations: '\(text)' is not COUNTRY or COUNTRY/REGION as agents report them (FI, FI/18)")
            }
            locations.append(code)
        }
        return locations
    }
}
