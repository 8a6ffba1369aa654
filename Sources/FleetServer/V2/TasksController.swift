import FleetHTTP
import FleetModel
import FleetService
import Foundation
import Hummingbird
import JSON
import JSONSchema

/// `/v2/tasks`: create (one or a batch, idempotent on the task id), read, list with filters and a cursor, cancel.
struct TasksController {
    let tasks: TaskService
    let bodyLimit: Int

    static var maximumBatch: Int { 1000 }

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/tasks", .post, respond: create)
        routes.on("/v2/tasks", .get, respond: list)
        routes.on("/v2/tasks/batch", .post, respond: createBatch)
        routes.on("/v2/tasks/{task_id}", .get, respond: read)
        routes.on("/v2/tasks/{task_id}", .delete, respond: cancel)
    }

    /// `POST /v2/tasks`: 201 with the new task; 200 with the existing one for a repeat of the same body; 409 for a
    /// known id with a different body.
    @Sendable func create(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        let parsed = try V2TaskRequest(try await request.jsonBody(limit: bodyLimit))
        let created = try await Self.conflictIs409 { try await tasks.create(parsed.task, data: parsed.data) }
        if created.created { log(created.record, context: context) }
        return .json(V2Representations.task(created.record, now: tasks.now).json, status: created.created ? .created : .ok)
    }

    /// `POST /v2/tasks/batch` with `{"tasks": [...]}`: every task is checked first, then each is created (or found
    /// the same); 201 with them all in order.
    @Sendable func createBatch(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        let body = try await request.jsonBody(limit: bodyLimit)
        guard case .array(let items)? = body["tasks"], body.objectValue?.count == 1 else {
            throw APIError(.badRequest, "the body must be {\"tasks\": [...]}")
        }
        guard (1...Self.maximumBatch).contains(items.count) else {
            throw APIError(.badRequest, "a batch holds 1 to \(Self.maximumBatch) tasks, not \(items.count)")
        }
        var batch: [TaskService.BatchItem] = []
        var violations: [ValidationError] = []
        for (index, item) in items.enumerated() {
            do {
                let parsed = try V2TaskRequest(item, path: "/tasks/\(index)")
                batch.append(.init(task: parsed.task, data: parsed.data, dataLocation: "/tasks/\(index)/task_data"))
            } catch let error as APIError {
                violations += error.violations.isEmpty
                    ? [ValidationError(instanceLocation: "/tasks/\(index)", keywordLocation: "", keyword: "", message: error.message)]
                    : error.violations
            }
        }
        guard violations.isEmpty else { throw APIError(.badRequest, "some tasks of the batch are invalid; none was created", violations: violations) }
        let created = try await Self.conflictIs409 { try await tasks.createBatch(batch) }
        for task in created where task.created { log(task.record, context: context) }
        let now = tasks.now
        let json: JSONValue = ["tasks": .array(created.map { V2Representations.task($0.record, now: now).json })]
        return .json(json, status: .created)
    }

    private static func conflictIs409<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as FleetError {
            throw APIError(.conflict, error.description)
        }
    }

    private func log(_ task: TaskRecord, context: RouteContext) {
        context.logger.info(
            "task created",
            metadata: ["task_id": "\(task.id.canonical)", "task_type": "\(task.type)", "task_version": "\(task.version)"])
    }

    static func taskID(_ context: RouteContext) throws -> UUID {
        guard let text = context.parameters.get("task_id"), let id = UUID(canonicalText: text) else {
            throw APIError(.notFound, "no such task: the id is not a UUID")
        }
        return id
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        let id = try Self.taskID(context)
        guard let task = try await tasks.task(id: id) else { throw APIError(.notFound, "no such task: \(id.canonical)") }
        return .json(V2Representations.task(task, now: tasks.now).json)
    }

    /// `DELETE /v2/tasks/{id}`: cancels a task that has not finished (an agent holding it learns on upload).
    @Sendable func cancel(_ request: Request, context: RouteContext) async throws -> Response {
        let id = try Self.taskID(context)
        do {
            let task = try await tasks.cancel(id: id)
            context.logger.info("task cancelled", metadata: ["task_id": "\(id.canonical)"])
            return .json(V2Representations.task(task, now: tasks.now).json)
        } catch FleetError.taskNotFound {
            throw APIError(.notFound, "no such task: \(id.canonical)")
        } catch let error as FleetError {
            throw APIError(.conflict, error.description)
        }
    }

    /// `GET /v2/tasks?state=&task_type=&task_version=&test_id=&agent_id=&created_after=&created_before=&limit=&cursor=`.
    /// The filters are spelled as the task's members are; `type`, `version` and `agent`, their earlier names, are
    /// still read.
    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = TaskQuery()
        let earlierNames = ["task_type": "type", "task_version": "version", "agent_id": "agent"]
        // A filter given under both names must be valid under both; the current name's value is the one used.
        for (name, earlier) in earlierNames {
            if let current = parameters[name[...]], let given = parameters[earlier[...]], current != given {
                throw APIError(.badRequest, "query parameters \(name) and \(earlier) (its earlier name) must not differ")
            }
        }
        func text(_ name: String) -> String? {
            (parameters[name[...]] ?? earlierNames[name].flatMap { parameters[$0[...]] }).map(String.init)
        }
        func invalid(_ name: String, _ expected: String) -> APIError {
            APIError(.badRequest, "query parameter \(name) must be \(expected)")
        }
        if let state = text("state") {
            guard let value = TaskState(rawValue: state) else { throw invalid("state", TaskState.allCases.map(\.rawValue).joined(separator: ", ")) }
            query.state = value
        }
        if let type = text("task_type") {
            guard TextField.isStorable(type) else { throw APIError(.badRequest, TextField.unstorableMessage("query parameter task_type")) }
            query.type = type
        }
        if let version = text("task_version") {
            guard let value = Int64(version) else { throw invalid("task_version", "an integer") }
            query.version = value
        }
        if let testID = text("test_id") {
            guard let value = UUID(canonicalText: testID) else { throw invalid("test_id", "a UUID") }
            query.testID = value
        }
        if let agent = text("agent_id") {
            guard let value = UUID(canonicalText: agent) else { throw invalid("agent_id", "a UUID") }
            query.agentID = value
        }
        for (name, keyPath) in [("created_after", \TaskQuery.createdAfter), ("created_before", \TaskQuery.createdBefore)] {
            if let value = text(name) {
                guard let time = Timestamp(iso8601: value) else { throw invalid(name, "an ISO 8601 date-time") }
                query[keyPath: keyPath] = time
            }
        }
        if let limit = text("limit") {
            guard let value = Int(limit), (1...TaskQuery.maximumLimit).contains(value) else {
                throw invalid("limit", "an integer from 1 to \(TaskQuery.maximumLimit)")
            }
            query.limit = value
        }
        if let cursor = text("cursor") {
            guard let value = Int64(cursor), value >= 0 else { throw invalid("cursor", "a cursor from an earlier page") }
            query.afterSequence = value
        }
        let page = try await tasks.list(query)
        let now = tasks.now
        let json: JSONValue = [
            "tasks": .array(page.tasks.map { V2Representations.task($0, now: now).json }),
            "next_cursor": page.nextCursor.map { .string(String($0)) } ?? .null,
        ]
        return .json(json)
    }
}
