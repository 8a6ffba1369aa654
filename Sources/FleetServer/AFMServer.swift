import FleetService
import FleetStore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The AFM as a service: the store, the idle-poll shortcut, the sweeper and the HTTP server, started together and
/// stopped in reverse.
///
/// Polls go through an `IdlePollShortcut`, which answers those that would claim nothing without a database round
/// trip. HTTP/1.1 is served by `HTTP1EventChannel`, which keeps idle connections small. `beforeServing` runs once
/// the store is up and before the server listens (the schema migration, when `afm` is asked to create tables).
///
/// Why not Hummingbird's `Application`, as cep-stub is assembled: an `Application` hands its server builder a
/// responder that answers through a `ResponseWriter`, and a `ResponseWriter` can only be made over a
/// `NIOAsyncChannelOutboundWriter`, that is over an async channel per connection with its own buffers and task. That
/// per-connection task is exactly what `HTTP1EventChannel` does without, to keep an idle agent's connection at a few
/// kilobytes. So afm builds the router's responder and the `Server` itself, and runs them in its own service group.
public struct AFMServer: Service, CustomStringConvertible {
    let services: [any Service]
    let logger: Logger

    public init(
        store: any TaskStore,
        settings: ServerSettings,
        address: BindAddress,
        logger: Logger,
        metrics: FleetMetrics = FleetMetrics(),
        beforeServing: (@Sendable () async throws -> Void)? = nil,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) {
        let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: logger)
        let heldPolls = HeldPolls(events: metrics)
        let wakeups = TaskWakeups(
            held: heldPolls, notifications: store.notifications, forgetEmptyClaims: { shortcut.tasksMayBeClaimable() })
        wakeups.listen()
        let fleet = FleetService(
            queue: shortcut, directory: store, registry: store, book: store, policy: settings.policy, events: metrics, logger: logger,
            wakeups: wakeups, beforeReadingAgents: { await shortcut.writeSightings() })
        let responder = buildRouter(fleet: fleet, settings: settings, metrics: metrics, logsRequests: logger.logLevel <= .debug)
            .buildResponder()
        let serverName = "AgentFleet"
        let channel = HTTP1EventChannel(
            maximumBodySize: settings.maximumBodySize, timeouts: settings.connectionTimeouts,
            limit: ConnectionLimit(maximum: settings.maxConnections)
        ) { request, channel in
            let path = request.uri.path
            let stamped: @Sendable (Response) -> Response = { response in
                var response = response
                response.headers[.date] = HTTPDateHeader.now
                response.headers[.server] = serverName
                return response
            }
            let failed: @Sendable (any Error) -> Response = { error in
                // ErrorMiddleware answers every error a route throws; this is whatever escaped it.
                logger.error("answering a request failed", metadata: ["path": "\(path)", "error": "\(error)"])
                return stamped(Response(status: .internalServerError))
            }
            let deferred = DeferredAnswer()
            let response: Response
            do {
                // A held poll's answer is deferred until the chain has returned, so that the wait keeps none of
                // its frames; with a gate, it keeps no task at all until the poll has something to answer.
                response = try await DeferredAnswer.$current.withValue(deferred) {
                    try await responder.respond(
                        to: request, context: BasicRequestContext(source: .init(channel: channel, logger: logger)))
                }
            } catch {
                return .now(failed(error))
            }
            guard let (work, gate) = deferred.take() else { return .now(stamped(response)) }
            let make: @Sendable () async -> Response = {
                do { return stamped(try await work()) } catch { return failed(error) }
            }
            guard let gate else { return .now(await make()) }
            return .later(gate: gate, make: make)
        }
        let server = Server(
            childChannelSetup: channel, configuration: ServerConfiguration(address: address, serverName: serverName),
            onServerRunning: onServerRunning, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        self.logger = logger
        services = [
            // Stopped in reverse: held polls are answered as the server drains, then the polls it answered from
            // memory are written, then the store closes.
            store,
            shortcut,
            AfterPrelude(prelude: beforeServing, services: [fleet.sweeper, fleet.scheduleRunner, store.notifications, heldPolls, server]),
        ]
    }

    /// What the service group logs when it starts this service: its name only, never its settings.
    public var description: String { "AFMServer" }

    public func run() async throws {
        try await ServiceGroup(services: services, logger: logger).run()
    }
}

/// Runs `prelude` (the schema migration, when there is one) before the sweeper and the server start, so that neither
/// touches tables that are still being created. The services run as one and shut down together (held polls are
/// answered while the server drains); when one fails, the others are cancelled.
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
