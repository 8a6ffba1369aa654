import JSON
import NIOCore

/// What bounds every check and where it may connect: `timeout_seconds` (default 10, at most 300) for the whole
/// check, redirects and lookups included, and `ip_version`.
struct CheckLimits: Sendable {
    let timeout: Double
    let ipVersion: IPVersion

    init(_ data: JSONValue) throws(CheckDataError) {
        timeout = data["timeout_seconds"]?.numberValue?.doubleValue ?? 10
        guard timeout > 0, timeout <= 300 else { throw CheckDataError("timeout_seconds must be over 0 and at most 300") }
        ipVersion = try IPVersion(data["ip_version"]?.stringValue)
    }

    func deadline(from timer: PhaseTimer) -> ContinuousClock.Instant {
        timer.start.advanced(by: .nanoseconds(Int64(timeout * 1e9)))
    }
}

/// A host and port from task data.
struct CheckEndpoint: Sendable {
    let host: String
    let port: Int

    init(_ data: JSONValue, defaultPort: Int? = nil) throws(CheckDataError) {
        guard let host = data["host"]?.stringValue, !host.isEmpty else { throw CheckDataError("host must be a host name or address") }
        guard let port = data["port"]?.numberValue?.int64Value ?? defaultPort.map(Int64.init), (1...65_535).contains(port) else {
            throw CheckDataError("port must be 1 to 65535")
        }
        self.host = host
        self.port = Int(port)
    }
}

extension NIODeadline {
    /// The event-loop deadline of a monotonic instant.
    static func at(_ instant: ContinuousClock.Instant) -> NIODeadline {
        .now() + .nanoseconds(Int64(Seconds.of(ContinuousClock.now.duration(to: instant)) * 1e9))
    }
}
