import FleetService
import FleetStore
import Hummingbird
import Logging
import NIOCore

/// The AFM's routes and middleware over one store, without the idle-poll shortcut: for in-process tests.
public func buildRouter(store: any TaskStore, settings: ServerSettings, metrics: FleetMetrics = FleetMetrics()) -> Router<BasicRequestContext> {
    var logger = Logger(label: "afm")
    logger.logLevel = .warning
    let fleet = FleetService(store: store, policy: settings.policy, events: metrics, logger: logger)
    return buildRouter(fleet: fleet, settings: settings, metrics: metrics)
}

/// The AFM's routes and middleware: `AFMServer` serves them, and in-process tests drive them directly. Each request
/// is logged when `logsRequests` (debug logging); otherwise that middleware is left out rather than run to log
/// nothing on every request.
public func buildRouter(
    fleet: FleetService, settings: ServerSettings, metrics: FleetMetrics, logsRequests: Bool = false
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    if logsRequests {
        router.add(middleware: LogRequestsMiddleware(.debug))
    }
    // Without tokens every route is open: no middleware on the request path at all.
    if !settings.bpmsTokens.isEmpty || !settings.agentTokens.isEmpty {
        router.add(middleware: AuthMiddleware(bpmsTokens: settings.bpmsTokens, agentTokens: settings.agentTokens))
    }
    var routes = RouteTable(router: router)
    ProtocolOneController(fleet: fleet, settings: settings).addRoutes(to: &routes)
    DashboardController(overview: fleet.overview, schedules: fleet.schedules).addRoutes(to: &routes)
    TaskTypesController(catalog: fleet.taskTypes, settings: settings).addRoutes(to: &routes)
    TasksController(tasks: fleet.tasks, settings: settings).addRoutes(to: &routes)
    routes.on("/metrics", .get) { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
    AgentsController(overview: fleet.overview).addRoutes(to: &routes)
    LocationsController(overview: fleet.overview).addRoutes(to: &routes)
    SchedulesController(schedules: fleet.schedules, settings: settings).addRoutes(to: &routes)
    routes.addMethodNotAllowedRoutes()
    return router
}
