import FleetHTTP
import FleetServer
import FleetService
import FleetStore

/// Everything the AFM is configured with, as one value: each piece goes to the layer it configures, and states its
/// own defaults.
public struct AFMSettings: Sendable {
    public var database = DatabaseSettings()
    /// The fleet's rules: return time, active threshold, time to live, attempts, run timeout, poll wait.
    public var policy = FleetPolicy()
    public var http = HTTPSettings()
    public var tokens = AccessTokens()
    /// Logs every request (debug logging).
    public var logsRequests = false

    public init() {}

    /// The idle timeout in force: the one set, or the agents' return time plus a minute, so that agents keep their
    /// connection from one poll to the next.
    public var idleTimeout: Double { http.idleTimeout ?? policy.agentReturnTime + 60 }
}

/// Which database, how many connections, and whether to create its tables.
public struct DatabaseSettings: Sendable {
    public var uri = DatabaseURI.defaultEmbedded
    /// Connections to PostgreSQL at most; nil: the store's default for the machine's cores.
    public var poolSize: Int?
    /// Create or upgrade the tables on start (`AUTO_CREATE`).
    public var autoCreate = true

    public init() {}
}
