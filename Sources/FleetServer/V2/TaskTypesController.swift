import FleetHTTP
import FleetModel
import FleetService
import FleetWire
import Foundation
import Hummingbird
import JSON

/// `/v2/task-types`: the JSON Schemas that task data and results of a task type and version must satisfy.
struct TaskTypesController {
    let catalog: TaskTypeCatalog
    let bodyLimit: Int

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/task-types", .get, respond: list)
        routes.on("/v2/task-types/{type}/{version}", .put, respond: put)
        routes.on("/v2/task-types/{type}/{version}", .get, respond: read)
        routes.on("/v2/task-types/{type}/{version}", .delete, respond: delete)
    }

    static func key(_ context: RouteContext) throws -> (String, Int64) {
        guard let type = context.parameters.get("type"), !type.isEmpty,
            let version = context.parameters.get("version").flatMap({ Int64($0) })
        else { throw APIError(.notFound, "no such task type: the version must be an integer") }
        guard TextField.isStorable(type) else { throw APIError(.badRequest, TextField.unstorableMessage("the task type")) }
        return (type, version)
    }

    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let types = try await catalog.taskTypes()
        return .json(["task_types": .array(types.map { V2Representations.taskType($0).json })])
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        let (type, version) = try Self.key(context)
        guard let taskType = try await catalog.taskType(type, version: version) else {
            throw APIError(.notFound, "no such task type: \(type) version \(version)")
        }
        return .json(V2Representations.taskType(taskType).json)
    }

    /// `PUT`: registers or replaces; 201 when new, 200 when replaced; 400 for a schema that does not compile.
    @Sendable func put(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        let (type, version) = try Self.key(context)
        let body = try TaskTypeBody(json: try await request.jsonBody(limit: bodyLimit))
        let (record, created) = try await catalog.put(type: type, version: version, taskSchema: body.taskSchema, resultSchema: body.resultSchema)
        context.logger.info("task type \(created ? "registered" : "replaced")", metadata: ["task_type": "\(type)", "task_version": "\(version)"])
        return .json(V2Representations.taskType(record).json, status: created ? .created : .ok)
    }

    @Sendable func delete(_ request: Request, context: RouteContext) async throws -> Response {
        let (type, version) = try Self.key(context)
        guard try await catalog.delete(type, version: version) else {
            throw APIError(.notFound, "no such task type: \(type) version \(version)")
        }
        return Response(status: .noContent)
    }
}
