import FleetHTTP
import FleetServer
import FleetService
import FleetWebhooks
import FleetStore
import FleetStorePostgres
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the AFM from its settings: the one composition root, for `afm` and for the tests alike.
///
/// Opens the store the settings name (a PostgreSQL server is tried once first, so that one that cannot be reached
/// fails at once with the reason), and assembles the domain over it and the HTTP server over the domain. The domain
/// reads the time from `clock`: the system's in `afm`, one the test moves in tests.
public func buildApplication(
    _ settings: AFMSettings, address: BindAddress, logger: Logger, metrics: FleetMetrics = FleetMetrics(),
    clock: any FleetClock = SystemClock(), onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws(ApplicationStartError) -> AFMApplication {
    let store = try await openConfiguredStore(settings.database, logger: logger)
    let fleet = FleetService(store: store, policy: settings.policy, events: metrics, clock: clock, logger: logger)
    let router = buildRouter(
        fleet: fleet, bodyLimit: settings.http.maximumBodySize, tokens: settings.tokens, metrics: metrics,
        logsRequests: settings.logsRequests)
    let server = HTTPServer(
        responder: router.responder(), address: address, settings: settings.http, idleTimeout: settings.idleTimeout,
        serverName: "AgentFleet", logger: logger, onServerRunning: onServerRunning)
    return AFMApplication(store: store, fleet: fleet, server: server, migrates: settings.database.autoCreate, logger: logger)
}

/// Opens the store the settings name. A PostgreSQL server is tried once first, so that one that cannot be reached
/// fails at once with the reason.
public func openConfiguredStore(_ database: DatabaseSettings, logger: Logger) async throws(ApplicationStartError) -> any TaskStore {
    if case .postgres(let location) = database.uri {
        do { try await PostgresReachability.check(location) } catch { throw .databaseUnreachable("\(error)") }
    }
    do {
        return try await TaskStoreFactory.open(database.uri, poolSize: database.poolSize, logger: logger)
    } catch {
        throw .cannotOpenDatabase("\(error)")
    }
}

/// Why the AFM could not be built; `afm` stops with this one line.
public enum ApplicationStartError: Error, CustomStringConvertible {
    case databaseUnreachable(String)
    case cannotOpenDatabase(String)

    public var description: String {
        switch self {
        case .databaseUnreachable(let reason): reason
        case .cannotOpenDatabase(let reason): "cannot open database: \(reason)"
        }
    }
}

/// The AFM as a service: the store, the domain's services and the HTTP server, started together and stopped in
/// reverse. With `migrates`, the schema is created or upgraded (retried for a minute: the database may start after
/// `afm`) before anything touches the tables.
public struct AFMApplication: Service, CustomStringConvertible {
    /// For the one-shot commands and the tests, which read the store beside the running application.
    public let store: any TaskStore
    public let fleet: FleetService
    let server: HTTPServer
    let migrates: Bool
    let logger: Logger

    /// What the service group logs when it starts this service: its name only, never its settings.
    public var description: String { "AFMApplication" }

    public func run() async throws {
        let (first, rest) = fleet.services
        let (store, logger) = (store, logger)
        let migration: (@Sendable () async throws -> Void)? =
            migrates ? { @Sendable in try await migrateWithRetries(store, logger: logger) } : nil
        // Stopped in reverse: held polls are answered as the server drains, then the polls the shortcut answered from
        // memory are written, then the store closes.
        let deliverer = WebhookDeliverer(book: store, clock: fleet.clock, policy: fleet.policy, logger: logger)
        let services: [any Service] = [store, first, AfterPrelude(prelude: migration, services: rest + [deliverer, server])]
        try await ServiceGroup(services: services, logger: logger).run()
    }
}

/// The schema could not be prepared within a minute.
public struct SchemaUnavailable: Error, CustomStringConvertible {
    public let cause: String
    public var description: String { "cannot prepare the database schema: \(cause)" }
}

private func migrateWithRetries(_ store: any TaskStore, logger: Logger) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    var delay = Duration.milliseconds(500)
    while true {
        do {
            try await store.migrate()
            return
        } catch {
            guard ContinuousClock.now + delay < deadline else { throw SchemaUnavailable(cause: "\(error)") }
            logger.warning("database not ready, retrying", metadata: ["cause": "\(error)", "retry_in": "\(delay)"])
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}

/// Runs `prelude` (the schema migration, when there is one) before the other services start, so that none touches
/// tables that are still being created. The services run as one and shut down together (held polls are answered
/// while the server drains); when one fails, the others are cancelled.
private struct AfterPrelude: Service {
    let prelude: (@Sendable () async throws -> Void)?
    let services: [any Service]

    func run() async throws {
        try await prelude?()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            defer { group.cancelAll() }
            for try await _ in group {}
        }
    }
}
