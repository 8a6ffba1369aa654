import Logging
import NIOCore

/// What a route knows of its request beyond the request itself: the connection, the route it matched and the
/// parameters it took from the path.
public struct RouteContext: Sendable {
    public var logger: Logger
    public let channel: any Channel
    /// Fires when the client goes before its answer is written.
    public let hangUp: ConnectionHangUp
    /// The matched route's pattern (`/task/{task_id}`), nil before routing and when none matched.
    public internal(set) var endpointPath: String?
    public internal(set) var parameters = RouteParameters()

    public init(logger: Logger, channel: any Channel, hangUp: ConnectionHangUp) {
        self.logger = logger
        self.channel = channel
        self.hangUp = hangUp
    }
}

/// The `{name}` components of a route's path, as the request spelled them.
public struct RouteParameters: Sendable {
    private var values: [(name: String, value: Substring)] = []

    public init() {}

    public func get(_ name: String) -> String? {
        values.first { $0.name == name }.map { String($0.value) }
    }

    mutating func set(_ name: String, _ value: Substring) {
        values.append((name, value))
    }
}
