import FleetHTTP
import FleetModel
import FleetService
import Foundation
import Hummingbird
import JSON

/// `/v2/schedules`: recurring tasks, put and read by name, and the account of each one's slots.
struct SchedulesController {
    let schedules: ScheduleService
    let bodyLimit: Int

    /// The window `/runs` covers when `from` is not given: the hour before `to`.
    static var defaultWindow: Double { 3600 }

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/schedules", .get, respond: list)
        routes.on("/v2/schedules/{name}", .put, respond: put)
        routes.on("/v2/schedules/{name}", .get, respond: read)
        routes.on("/v2/schedules/{name}", .delete, respond: delete)
        routes.on("/v2/schedules/{name}/runs", .get, respond: runs)
    }

    static func name(_ context: RouteContext) throws -> String {
        guard let name = context.parameters.get("name"), ScheduleDefinition.isValidName(name) else {
            throw APIError(.notFound, "no such schedule: a name is 1 to 100 letters, digits, '.', '_', '-' or '~'")
        }
        return name
    }

    /// `PUT /v2/schedules/{name}`: 201 with the new schedule, 200 with the replaced one.
    @Sendable func put(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        var request = request
        let parsed = try V2ScheduleRequest(try await request.jsonBody(limit: bodyLimit), name: name)
        let saved = try await schedules.save(parsed.schedule, data: parsed.data)
        context.logger.info(
            saved.created ? "schedule created" : "schedule replaced",
            metadata: ["schedule": "\(name)", "task_type": "\(parsed.schedule.type)", "task_version": "\(parsed.schedule.version)"])
        return .json(V2Representations.schedule(saved.record).json, status: saved.created ? .created : .ok)
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        guard let schedule = try await schedules.schedule(named: name) else { throw APIError(.notFound, "no such schedule: \(name)") }
        return .json(V2Representations.schedule(schedule).json)
    }

    /// `DELETE /v2/schedules/{name}`: no more slots; the tasks already made stay.
    @Sendable func delete(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        guard try await schedules.delete(named: name) else { throw APIError(.notFound, "no such schedule: \(name)") }
        context.logger.info("schedule deleted", metadata: ["schedule": "\(name)"])
        return Response(status: .noContent)
    }

    /// `GET /v2/schedules?limit=&after=`: by name.
    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let limit = try V2Query.limit(request)
        var after: String?
        if let given = parameters["after"].map(String.init) {
            guard ScheduleDefinition.isValidName(given) else { throw APIError(.badRequest, "query parameter after must be a schedule name") }
            after = given
        }
        let page = try await schedules.list(after: after, limit: limit)
        let json: JSONValue = [
            "schedules": .array(page.map { V2Representations.schedule($0).json }),
            "next_after": page.count == limit ? page.last.map { .string($0.definition.name) } ?? .null : .null,
        ]
        return .json(json)
    }

    /// `GET /v2/schedules/{name}/runs?from=&to=&limit=`: the slots of [from, to) with their runs per location.
    @Sendable func runs(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        let (from, to) = try V2Query.window(request, now: schedules.now, defaultSeconds: Self.defaultWindow)
        let limit = try V2Query.limit(request)
        guard let found = try await schedules.runs(of: name, from: from, to: to, limit: limit) else {
            throw APIError(.notFound, "no such schedule: \(name)")
        }
        let now = schedules.now
        let json: JSONValue = [
            "schedule": .string(name), "from": .string(from.iso8601Text), "to": .string(to.iso8601Text),
            "slots": .array(found.slots.map { V2Representations.slot($0, now: now) }),
            "next_from": found.more ? found.slots.last.map { .string($0.time.adding(seconds: 0.000001).iso8601Text) } ?? .null : .null,
        ]
        return .json(json)
    }
}
