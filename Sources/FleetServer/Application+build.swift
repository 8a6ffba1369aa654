import FleetStore
import Hummingbird
import Logging
import NIOCore

/// Builds the AFM HTTP application around a store. The `afm` executable and the tests call this same function.
///
/// The store is run as a service of the application, so it starts before and stops after the HTTP server. Polls
/// go through an `IdlePollShortcut`, which answers those that would claim nothing without a database round trip.
public func buildApplication(
    store: any TaskStore,
    settings: ServerSettings,
    address: BindAddress,
    logger: Logger,
    metrics: FleetMetrics = FleetMetrics(),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<BasicRequestContext>> {
    let store = IdlePollShortcut(wrapping: store, logger: logger)
    let router = buildRouter(store: store, settings: settings, metrics: metrics)
    return Application(
        router: router,
        configuration: .init(address: address, serverName: "AgentFleet"),
        services: [store, Sweeper(store: store, settings: settings, metrics: metrics, logger: logger)],
        onServerRunning: onServerRunning,
        logger: logger)
}

/// The router alone, for in-process tests.
public func buildRouter(store: any TaskStore, settings: ServerSettings, metrics: FleetMetrics = FleetMetrics()) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    // Without tokens every route is open: no middleware on the request path at all.
    if !settings.bpmsTokens.isEmpty || !settings.agentTokens.isEmpty {
        router.add(middleware: AuthMiddleware(bpmsTokens: settings.bpmsTokens, agentTokens: settings.agentTokens))
    }
    var routes = RouteTable(router: router)
    let schemas = TaskTypeSchemas(store: store)
    ProtocolOneController(store: store, settings: settings, schemas: schemas, metrics: metrics).addRoutes(to: &routes)
    DashboardController(store: store).addRoutes(to: &routes)
    TaskTypesController(store: store, schemas: schemas, settings: settings).addRoutes(to: &routes)
    TasksController(store: store, schemas: schemas, settings: settings, metrics: metrics).addRoutes(to: &routes)
    routes.on("/metrics", .get) { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
    AgentsController(store: store, settings: settings).addRoutes(to: &routes)
    routes.addMethodNotAllowedRoutes()
    return router
}
