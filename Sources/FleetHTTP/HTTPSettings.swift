/// How the HTTP server treats its connections (`HTTP_IDLE_TIMEOUT`, `HTTP_REQUEST_TIMEOUT`, `MAX_CONNECTIONS`) and
/// bodies.
public struct HTTPSettings: Sendable, Equatable {
    /// Largest request body accepted; larger ones get 413.
    public var maximumBodySize = 1 << 20
    /// Seconds a keep-alive connection may stay unused; nil leaves it to the application (afm: the agents' return
    /// time plus a minute, so that agents keep theirs from one poll to the next).
    public var idleTimeout: Double?
    /// Seconds a client may take to send a request head, to send the next part of a body, or to take the next part
    /// of its answers.
    public var requestTimeout: Double = 10
    /// Open connections at most, past which they are answered 503 and closed; nil: what the process's open-file
    /// limit leaves room for (`DescriptorLimit.defaultMaxConnections`).
    public var maxConnections: Int?

    public init() {}
}
