import JSON

/// A task type and version an agent runs, as polls report it (protocol 1, `{"TYPE": {"version": N}}`) and v2 answers
/// list it (`{"type": …, "version": …}`).
public struct WireCapability: Sendable, Equatable {
    public let type: String
    public let version: Int64

    public init(type: String, version: Int64) {
        self.type = type
        self.version = version
    }

    /// The v2 form.
    public var json: JSONValue { ["type": .string(type), "version": .number(.integer(version))] }
}
