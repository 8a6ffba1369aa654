/// The database could not do what was asked: unreachable, timed out, or refused the statement.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let cause: String
    /// The database answered the statement with an error, so none of it took effect; false when the outcome is
    /// unknown (a lost connection, no answer in time).
    public let refusedByDatabase: Bool

    public init(operation: String, cause: String, refusedByDatabase: Bool = false) {
        self.operation = operation
        self.cause = cause
        self.refusedByDatabase = refusedByDatabase
    }

    public var description: String { "database \(operation) failed: \(cause)" }
}
