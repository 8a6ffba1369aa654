import JSON
import JSONSchema

/// What makes one run of a check count as up, as a schedule or a v2 task carries it: a JSON Schema its result must
/// satisfy (`success_schema`), and the result's member that holds the run's duration (`duration_field`).
public struct RunRule: Sendable, Equatable {
    /// The schema, serialized; nil when the result decides by itself (see `RunJudge`).
    public let successSchemaJSON: String?
    /// A top-level member name, or a JSON Pointer (`/phases/total`) for one deeper in; a number of seconds.
    public let durationField: String?

    /// Nil when neither is given: a run without a rule.
    public init?(successSchemaJSON: String?, durationField: String?) {
        guard successSchemaJSON != nil || durationField != nil else { return nil }
        self.successSchemaJSON = successSchemaJSON
        self.durationField = durationField
    }

    /// The rule read from its request members; throws the reason when the schema does not compile or the field is
    /// empty.
    public init?(successSchema: JSONValue?, durationField: String?) throws(RuleError) {
        if let successSchema {
            do {
                _ = try JSONSchema(successSchema)
            } catch {
                throw RuleError("success_schema: \(error.description)")
            }
        }
        if let durationField, durationField.isEmpty || durationField.utf8.count > 200 {
            throw RuleError("duration_field must be 1 to 200 characters")
        }
        self.init(successSchemaJSON: successSchema.map { JSONWriter.string(from: $0) }, durationField: durationField)
    }

    /// How both engines store a rule: one JSON text with the members as requests give them.
    public var storedText: String {
        var members: [String: JSONValue] = [:]
        if let successSchemaJSON, let schema = try? JSONParser.parse(successSchemaJSON) { members["success_schema"] = schema }
        if let durationField { members["duration_field"] = .string(durationField) }
        return JSONWriter.string(from: .object(members))
    }

    public init?(storedText: String?) {
        guard let storedText, let members = (try? JSONParser.parse(storedText))?.objectValue else { return nil }
        self.init(
            successSchemaJSON: members["success_schema"].map { JSONWriter.string(from: $0) },
            durationField: members["duration_field"]?.stringValue)
    }

    /// The duration the result states, in seconds; nil when the field is absent or not a non-negative number.
    public func statedDuration(in result: JSONValue) -> Double? {
        guard let durationField else { return nil }
        let value: JSONValue?
        if durationField.hasPrefix("/") {
            value = JSONPointer.value(at: durationField, in: result)
        } else {
            value = result.objectValue?[durationField]
        }
        guard let seconds = value?.numberValue?.doubleValue, seconds >= 0, seconds.isFinite else { return nil }
        return seconds
    }
}

/// Why a success rule cannot be taken.
public struct RuleError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
