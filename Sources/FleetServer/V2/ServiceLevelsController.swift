import FleetHTTP
import FleetModel
import FleetService
import Foundation
import Hummingbird
import JSON

/// `/v2/schedules/{name}/summary`, `/v2/schedules/{name}/incidents` and `/v2/incidents`: what a schedule's runs came to,
/// and when its failures became incidents.
struct ServiceLevelsController {
    let serviceLevels: ServiceLevelService
    let schedules: ScheduleService

    /// The window a summary covers when `from` is not given: the day before `to`.
    static var defaultWindow: Double { 86_400 }

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/schedules/{name}/summary", .get, respond: summary)
        routes.on("/v2/schedules/{name}/incidents", .get, respond: scheduleIncidents)
        routes.on("/v2/incidents", .get, respond: allIncidents)
    }

    /// `GET /v2/schedules/{name}/summary?from=&to=&by=location&step=none|hour|day`.
    @Sendable func summary(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try SchedulesController.name(context)
        let parameters = request.uri.queryParameters
        let (from, to) = try V2Query.window(request, now: schedules.now, defaultSeconds: Self.defaultWindow)
        guard to.microsecondsSinceEpoch - from.microsecondsSinceEpoch <= Int64(serviceLevels.longestWindowSeconds * 1_000_000) else {
            throw APIError(.badRequest, "the window may cover at most ROLLUP_RETENTION_DAYS (\(Int(serviceLevels.longestWindowSeconds / 86_400)) days)")
        }
        let stepText = parameters["step"].map(String.init) ?? "none"
        guard let step = ServiceLevelService.Step(rawValue: stepText) else {
            throw APIError(.badRequest, "query parameter step must be none, hour or day")
        }
        let by = parameters["by"].map(String.init)
        guard by == nil || by == "location" else { throw APIError(.badRequest, "query parameter by must be location") }
        guard let summary = try await serviceLevels.summary(of: name, from: from, to: to, step: step) else {
            throw APIError(.notFound, "no such schedule: \(name)")
        }
        return .json(V2Representations.summary(summary, byLocation: by == "location"))
    }

    @Sendable func scheduleIncidents(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try SchedulesController.name(context)
        guard try await schedules.schedule(named: name) != nil else { throw APIError(.notFound, "no such schedule: \(name)") }
        return try await incidents(of: name, request)
    }

    @Sendable func allIncidents(_ request: Request, context: RouteContext) async throws -> Response {
        try await incidents(of: nil, request)
    }

    /// Open incidents first, then by start, newest first.
    private func incidents(of name: String?, _ request: Request) async throws -> Response {
        let limit = try V2Query.limit(request)
        let found = try await serviceLevels.incidents(ofSchedule: name, limit: limit)
        return .json(["incidents": .array(found.map(V2Representations.incident))])
    }
}
