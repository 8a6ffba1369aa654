import FleetModel
import Foundation
import JSON
import JSONSchema

/// A schedule as `PUT /v2/schedules/{name}` takes it: `task_type`, `task_version`, `task_data`, `every_seconds` or
/// `cron`, and optionally `locations`, `ttl_seconds` (the interval when absent), `paused` and `test_id`. The members
/// a read adds (`name`, `offset_seconds`, `next_slot`, `created`, `updated`) may come back with it and are ignored,
/// so that a schedule read can be changed and put back.
struct V2ScheduleRequest {
    let schedule: ScheduleDefinition
    let data: JSONValue?

    static let schema = try! JSONSchema(
        json: #"""
            {"type": "object", "additionalProperties": false, "required": ["task_type", "task_version"],
             "properties": {
                "test_id": {"type": "string", "format": "uuid"},
                "task_type": {"type": "string", "minLength": 1, "maxLength": 200},
                "task_version": {"type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991},
                "task_data": {"type": "object"},
                "every_seconds": {"type": "integer", "minimum": 1, "maximum": 31536000},
                "cron": {"type": "string", "maxLength": 200},
                "locations": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string"}},
                "ttl_seconds": {"type": "integer", "minimum": 1, "maximum": 31536000},
                "paused": {"type": "boolean"},
                "success_schema": {"type": ["object", "boolean"]},
                "duration_field": {"type": "string", "minLength": 1, "maxLength": 200},
                "alert": {"type": "object", "additionalProperties": false, "required": ["failing_locations"],
                          "properties": {"failing_locations": {"type": "integer", "minimum": 1, "maximum": 100},
                                         "recover_after": {"type": "integer", "minimum": 1, "maximum": 1000}}},
                "name": {"type": "string"}, "offset_seconds": {}, "next_slot": {}, "created": {}, "updated": {}}}
            """#, options: .init(assertsFormats: true))

    init(_ body: JSONValue, name: String) throws {
        let violations = Self.schema.validate(body)
        guard violations.isEmpty else { throw APIError(.badRequest, "the schedule does not match the v2 schedule schema", violations: violations) }
        if let field = TextField.firstUnstorable(in: body, documents: ["task_data"]) {
            throw APIError(.badRequest, TextField.unstorableMessage(field))
        }
        let members = body.objectValue!
        if let given = members["name"]?.stringValue, given != name {
            throw APIError(.badRequest, "name '\(given)' in the body is not the schedule's name in the path, '\(name)'")
        }
        let timing: ScheduleTiming
        switch (members["every_seconds"]?.numberValue?.int64Value, members["cron"]?.stringValue) {
        case (let seconds?, nil):
            timing = .every(seconds: seconds)
        case (nil, let text?):
            do {
                timing = .cron(try CronExpression(text))
            } catch {
                throw APIError(.badRequest, "cron: \(error.description)")
            }
        default:
            throw APIError(.badRequest, "a schedule has either every_seconds or cron, not both and not neither")
        }
        let locations = try V2TaskRequest.locations(members["locations"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let timetable = Timetable(timing: timing, scheduleName: name)
        let givenTestID = members["test_id"]?.stringValue.flatMap(UUID.init(canonicalText:))
        data = members["task_data"]
        let rule: RunRule?
        do {
            rule = try RunRule(successSchema: members["success_schema"], durationField: members["duration_field"]?.stringValue)
        } catch {
            throw APIError(.badRequest, error.description)
        }
        var alert: AlertRule?
        if let given = members["alert"]?.objectValue, let failing = given["failing_locations"]?.numberValue?.int64Value {
            let places = max(1, locations.count)
            guard failing <= places else {
                throw APIError(
                    .badRequest, "alert: failing_locations is \(failing), more than the schedule's \(places) location\(places == 1 ? "" : "s")")
            }
            alert = AlertRule(failingLocations: Int(failing), recoverAfter: Int(given["recover_after"]?.numberValue?.int64Value ?? 1))
        }
        schedule = ScheduleDefinition(
            name: name, testID: givenTestID ?? UUID(), testIDGiven: givenTestID != nil, type: members["task_type"]!.stringValue!,
            version: members["task_version"]!.numberValue!.int64Value!, dataJSON: data.map { JSONWriter.string(from: $0) },
            timing: timing, locations: locations,
            ttlSeconds: members["ttl_seconds"]?.numberValue?.int64Value ?? timetable.interval(at: .now()),
            paused: members["paused"]?.boolValue ?? false, runRule: rule, alert: alert)
    }
}
