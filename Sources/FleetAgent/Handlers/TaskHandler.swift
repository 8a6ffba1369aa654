import JSON

/// Runs one kind of task: a (type, version) pair, as the AFM names them in polls and tasks.
public protocol TaskHandler: Sendable {
    var type: String { get }
    var version: Int { get }
    /// The result object for `data`, or a thrown `HandlerFailure` whose message becomes the task's error.
    func run(_ data: JSONValue) async throws -> JSONValue
}

/// A task that could not be done; the message is sent to the AFM as `task_error`.
public struct HandlerFailure: Error, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
