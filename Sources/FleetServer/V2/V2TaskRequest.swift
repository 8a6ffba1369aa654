import FleetModel
import Foundation
import JSON
import FleetWire

/// A task as `POST /v2/tasks` takes it (the wire's `TaskBody`), made a domain task: ids generated when absent,
/// locations read as codes, text that cannot be stored refused.
struct V2TaskRequest {
    let task: NewTask
    let data: JSONValue?

    /// Parses one task; violations are reported under `path` (`""`, or `/tasks/3` in a batch).
    init(_ body: JSONValue, path: String = "") throws {
        let wire: TaskBody
        do { wire = try TaskBody(json: body, path: path) } catch { throw APIError(.badRequest, error.message, violations: error.violations) }
        if let field = TextField.firstUnstorable(in: body, documents: ["task_data"]) {
            throw APIError(.badRequest, TextField.unstorableMessage(path.isEmpty ? field : "\(path): \(field)"))
        }
        data = wire.data
        let locations = try Self.locations(wire.locations, path: path)
        let ttl: (seconds: Int64?, given: Bool) = switch wire.timeToLive {
        case .unstated: (nil, false)
        case .forever: (nil, true)
        case .seconds(let seconds): (seconds, true)
        }
        let rule: RunRule?
        do {
            rule = try RunRule(successSchema: wire.successSchema, durationField: wire.durationField)
        } catch {
            throw APIError(.badRequest, path.isEmpty ? error.description : "\(path): \(error.description)")
        }
        task = NewTask(
            id: wire.taskID ?? UUID(), testID: wire.testID ?? UUID(), testIDGiven: wire.testID != nil, type: wire.type,
            version: wire.version, dataJSON: data.map { JSONWriter.string(from: $0) }, ttlSeconds: ttl.seconds, ttlGiven: ttl.given,
            locations: locations, runRule: rule)
    }

    /// The codes of a schema-checked `locations` array (absent: none); 400 naming the first that is not a code.
    static func locations(_ texts: [String], path: String = "") throws -> [LocationCode] {
        var locations: [LocationCode] = []
        for text in texts {
            guard let code = LocationCode(text: text) else {
                throw APIError(
                    .badRequest, "\(path.isEmpty ? "" : "\(path)/")locations: '\(text)' is not COUNTRY or COUNTRY/REGION as agents report them (FI, FI/18)")
            }
            locations.append(code)
        }
        return locations
    }
}
