import FleetStore
import Hummingbird
import Logging
import NIOCore

/// The AFM's routes and middleware: `AFMServer` serves them, and in-process tests drive them directly.
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
