import JSON

/// A task type and version an agent runs, as v2 answers list them: `{"type": …, "version": …}`.
public struct CapabilityAnswer: Sendable, Equatable {
    public let type: String
    public let version: Int64

    public init(type: String, version: Int64) {
        self.type = type
        self.version = version
    }

    public var json: JSONValue { ["type": .string(type), "version": .number(.integer(version))] }
}
