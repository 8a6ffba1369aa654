import FleetHTTP
import FleetModel
import FleetService
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
        return .json(Array(JSONWriter.string(from: ["task_types": .array(types.map(V2Representations.taskType))]).utf8))
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        let (type, version) = try Self.key(context)
        guard let taskType = try await catalog.taskType(type, version: version) else {
            throw APIError(.notFound, "no such task type: \(type) version \(version)")
        }
        return .json(Array(JSONWriter.string(from: V2Representations.taskType(taskType)).utf8))
    }

    /// `PUT`: registers or replaces; 201 when new, 200 when replaced; 400 for a schema that does not compile.
    @Sendable func put(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        let (type, version) = try Self.key(context)
        let body = try await request.jsonBody(limit: bodyLimit)
        guard case .object(let members) = body, let taskSchema = members["task_schema"],
            Set(members.keys).isSubset(of: ["task_schema", "result_schema"])
        else {
            throw APIError(.badRequest, "the body must be {\"task_schema\": {…}, \"result_schema\": {…}} (result_schema optional)")
        }
        // JSONValue is ExpressibleByNilLiteral, so spell out that a JSON null means "no result schema".
        let resultSchema: JSONValue?
        switch members["result_schema"] {
        case .none, .some(.null): resultSchema = nil
        case .some(let schema): resultSchema = schema
        }
        let (record, created) = try await catalog.put(type: type, version: version, taskSchema: taskSchema, resultSchema: resultSchema)
        context.logger.info("task type \(created ? "registered" : "replaced")", metadata: ["task_type": "\(type)", "task_version": "\(version)"])
        return .json(Array(JSONWriter.string(from: V2Representations.taskType(record)).utf8), status: created ? .created : .ok)
    }

    @Sendable func delete(_ request: Request, context: RouteContext) async throws -> Response {
        let (type, version) = try Self.key(context)
        guard try await catalog.delete(type, version: version) else {
            throw APIError(.notFound, "no such task type: \(type) version \(version)")
        }
        return Response(status: .noContent)
    }
}
