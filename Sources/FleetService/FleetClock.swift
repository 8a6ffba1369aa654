import JSON

/// Where the domain reads the time: the system clock in `afm`, a clock the test moves in tests.
public protocol FleetClock: Sendable {
    func now() -> Timestamp
}

/// The machine's UTC clock.
public struct SystemClock: FleetClock {
    public init() {}
    public func now() -> Timestamp { .now() }
}
