import FleetHTTP
import FleetService
import Hummingbird
import NIOCore

/// The AFM's routes and middleware over the domain. Each request is logged when `logsRequests` (debug logging);
/// otherwise that middleware is left out rather than run to log nothing on every request.
public func buildRouter(
    fleet: FleetService, bodyLimit: Int, tokens: AccessTokens, metrics: FleetMetrics, logsRequests: Bool = false
) -> RouteTable {
    var router = RouteTable()
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    if logsRequests {
        router.add(middleware: RequestLogMiddleware())
    }
    // Without tokens every route is open: no middleware on the request path at all.
    if !tokens.isEmpty {
        router.add(middleware: AuthMiddleware(tokens: tokens))
    }
    ProtocolOneController(fleet: fleet, bodyLimit: bodyLimit).addRoutes(to: &router)
    DashboardController(overview: fleet.overview).addRoutes(to: &router)
    ConsoleController(console: fleet.console, access: ConsoleAccess(tokens: tokens, sessions: fleet.consoleSessions)).addRoutes(to: &router)
    TaskTypesController(catalog: fleet.taskTypes, bodyLimit: bodyLimit).addRoutes(to: &router)
    TasksController(tasks: fleet.tasks, bodyLimit: bodyLimit).addRoutes(to: &router)
    router.on("/metrics", .get, respond: { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    })
    AgentsController(overview: fleet.overview).addRoutes(to: &router)
    LocationsController(overview: fleet.overview).addRoutes(to: &router)
    SchedulesController(schedules: fleet.schedules, bodyLimit: bodyLimit).addRoutes(to: &router)
    ServiceLevelsController(serviceLevels: fleet.serviceLevels, schedules: fleet.schedules).addRoutes(to: &router)
    WebhooksController(webhooks: fleet.webhooks, bodyLimit: bodyLimit).addRoutes(to: &router)
    return router
}

/// The agent has gone, as the connection of its held poll says.
extension ConnectionHangUp: HangUp {}
