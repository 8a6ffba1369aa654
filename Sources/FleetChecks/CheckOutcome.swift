import JSON

/// What every check answers: whether it succeeded, why not, how long it took, and the check's own details. A check
/// that cannot reach its target (unknown host, refused, timed out) is an outcome too, `success: false` with its
/// reason; only data the check cannot run at all is thrown (as `CheckDataError`).
public struct CheckOutcome: Sendable {
    public private(set) var reason: String?
    public var durationSeconds: Double
    /// The type's own members (`status`, `phases`, `answers`, …), written beside the common three.
    public var details: [String: JSONValue] = [:]

    public init(durationSeconds: Double = 0) {
        self.durationSeconds = durationSeconds
    }

    public var success: Bool { reason == nil }

    /// Records the first reason the check failed; later ones are not the cause.
    public mutating func fail(_ reason: String) {
        if self.reason == nil { self.reason = reason }
    }

    public var json: JSONValue {
        var members = details
        members["success"] = .bool(success)
        members["reason"] = reason.map { .string($0) }
        members["duration_seconds"] = .number(.double(Seconds.rounded(durationSeconds)))
        return .object(members)
    }
}

/// Task data a check cannot run with (the AFM refuses it at creation when it knows the type's schema; an AFM that
/// does not is answered with a task error).
public struct CheckDataError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Seconds as results show them: to the microsecond, so that phases still add up to their duration.
enum Seconds {
    static func rounded(_ seconds: Double) -> Double {
        (seconds * 1_000_000).rounded() / 1_000_000
    }

    static func of(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func json(_ seconds: Double) -> JSONValue {
        .number(.double(rounded(seconds)))
    }
}
