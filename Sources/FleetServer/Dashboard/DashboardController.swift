import FleetHTTP
import FleetModel
import FleetService
import Hummingbird

/// `GET /dashboard/status`: SLAMon's dashboard JSON (the console, `ConsoleController`, is the page under `/dashboard`).
struct DashboardController {
    let overview: FleetOverview

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/dashboard/status", .get, respond: status)
    }

    @Sendable func status(_ request: Request, context: RouteContext) async throws -> Response {
        .json(ProtocolOneResponses.dashboard(try await overview.dashboard()))
    }
}
