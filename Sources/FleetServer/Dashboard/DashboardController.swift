import FleetHTTP
import FleetModel
import FleetService
import Hummingbird

/// `GET /dashboard/status` (JSON, as SLAMon's) and `GET /dashboard` (the same, with where agents are active and the
/// schedules with their uptime over the last day and open incidents, as an HTML page that refreshes itself).
struct DashboardController {
    let overview: FleetOverview
    let schedules: ScheduleService
    let serviceLevels: ServiceLevelService

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
        let listed = try await schedules.list(after: nil, limit: Self.schedulesShown)
        let now = schedules.now
        var levels: [String: DashboardPage.ScheduleLevel] = [:]
        let open = try await serviceLevels.incidents(ofSchedule: nil, limit: Self.schedulesShown).filter { $0.resolved == nil }
        for schedule in listed {
            let name = schedule.definition.name
            let day = try await serviceLevels.summary(of: name, from: now.adding(seconds: -86_400), to: now, step: .none)
            levels[name] = DashboardPage.ScheduleLevel(
                uptime: day?.windows.first?.overall.uptime, openIncident: open.first { $0.schedule == name })
        }
        let html = DashboardPage.render(
            try await overview.dashboard(), locations: try await overview.locations(), schedules: listed, levels: levels, now: now)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
