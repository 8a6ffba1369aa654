import JSONSchema

/// Task data, a batch of tasks or a schema that the domain refuses, with every reason.
public struct InvalidDocument: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Each violation, its instance location within the request body.
    public let violations: [ValidationError]

    public init(_ message: String, violations: [ValidationError] = []) {
        self.message = message
        self.violations = violations
    }

    public var description: String { message }
}
