import JSON

/// A task type and version an agent runs, as polls report it (protocol 1, `{"TYPE": {"version": N}}`) and v2 answers
/// list it (`{"task_type": …, "task_version": …}`, spelled as tasks spell them).
public struct WireCapability: Sendable, Equatable {
    public let type: String
    public let version: Int64

    public init(type: String, version: Int64) {
        self.type = type
        self.version = version
    }

    /// The v2 form.
    public var json: JSONValue { ["task_type": .string(type), "task_version": .number(.integer(version))] }
}
