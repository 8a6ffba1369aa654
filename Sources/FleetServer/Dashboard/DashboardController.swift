import FleetHTTP
import FleetModel
import FleetService
import Hummingbird

/// `GET /dashboard/status` (JSON, as SLAMon's) and `GET /dashboard` (the same, with where agents are active and the
/// schedules, as an HTML page that refreshes itself).
struct DashboardController {
    let overview: FleetOverview
    let schedules: ScheduleService

    /// Schedules the page lists at most, by name.
    static var schedulesShown: Int { 100 }

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/dashboard/status", .get, respond: status)
        routes.on("/dashboard", .get, respond: page)
    }

    @Sendable func status(_ request: Request, context: RouteContext) async throws -> Response {
        .json(ProtocolOneResponses.dashboard(try await overview.dashboard()))
    }

    @Sendable func page(_ request: Request, context: RouteContext) async throws -> Response {
        let html = DashboardPage.render(
            try await overview.dashboard(), locations: try await overview.locations(),
            schedules: try await schedules.list(after: nil, limit: Self.schedulesShown), now: schedules.now)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
