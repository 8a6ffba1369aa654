/// One way in which an instance does not satisfy a schema.
public struct ValidationError: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer to the offending part of the instance (`""` is the whole instance).
    public let instanceLocation: String
    /// JSON Pointer to the schema keyword that failed (`/properties/url/type`).
    public let keywordLocation: String
    /// The keyword that failed (`type`, `required` …).
    public let keyword: String
    public let message: String

    public init(instanceLocation: String, keywordLocation: String, keyword: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.keyword = keyword
        self.message = message
    }

    /// `/task_data/url: expected string, got integer`.
    public var description: String {
        "\(instanceLocation.isEmpty ? "/" : instanceLocation): \(message)"
    }

    /// The same violation of a document found under `prefix` in a larger one (`/task_data` + `/url`).
    public func prefixed(_ prefix: String) -> ValidationError {
        ValidationError(instanceLocation: prefix + instanceLocation, keywordLocation: keywordLocation, keyword: keyword, message: message)
    }
}

/// A schema that cannot be compiled, and where in it the problem is.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let keywordLocation: String
    public let reason: String
    /// `keywordLocation` is relative to the schema being compiled; the compiler prefixes it (rendering a location
    /// only when it is needed keeps deep schemas linear).
    var isRelative = false

    public init(keywordLocation: String, reason: String) {
        self.keywordLocation = keywordLocation
        self.reason = reason
    }

    init(relativeLocation: String, reason: String) {
        self.init(keywordLocation: relativeLocation, reason: reason)
        isRelative = true
    }

    public var description: String {
        "invalid schema at \(keywordLocation.isEmpty ? "/" : keywordLocation): \(reason)"
    }
}
