import FleetStore
import Hummingbird
import Logging
import NIOCore

/// Builds the AFM HTTP application around a store. The `afm` executable and the tests call this same function.
///
/// The store is run as a service of the application, so it starts before and stops after the HTTP server.
public func buildApplication(
    store: any TaskStore,
    settings: ServerSettings,
    address: BindAddress,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<BasicRequestContext>> {
    let router = buildRouter(store: store, settings: settings)
    return Application(
        router: router,
        configuration: .init(address: address, serverName: "AgentFleet"),
        services: [store],
        onServerRunning: onServerRunning,
        logger: logger)
}

/// The router alone, for in-process tests.
public func buildRouter(store: any TaskStore, settings: ServerSettings) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    var routes = RouteTable(router: router)
    ProtocolOneController(store: store, settings: settings).addRoutes(to: &routes)
    DashboardController(store: store).addRoutes(to: &routes)
    routes.addMethodNotAllowedRoutes()
    return router
}
