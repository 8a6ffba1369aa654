import FleetHTTP
import FleetModel
import FleetService
import Foundation
import Hummingbird
import JSON
import JSONSchema

/// `/v2/webhooks`: where incident events are delivered, and each delivery with its attempts.
struct WebhooksController {
    let webhooks: WebhookService
    let bodyLimit: Int

    static let schema = try! JSONSchema(
        json: #"""
            {"type": "object", "additionalProperties": false, "required": ["url", "secret", "events"],
             "properties": {
                "url": {"type": "string", "minLength": 1, "maxLength": 2000},
                "secret": {"type": "string", "minLength": 16, "maxLength": 512},
                "events": {"type": "array", "minItems": 1, "items": {"enum": ["incident.opened", "incident.resolved"]}},
                "name": {"type": "string"}, "secret_set": {}, "created": {}, "updated": {}}}
            """#)

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/webhooks", .get, respond: list)
        routes.on("/v2/webhooks/{name}", .put, respond: put)
        routes.on("/v2/webhooks/{name}", .get, respond: read)
        routes.on("/v2/webhooks/{name}", .delete, respond: delete)
        routes.on("/v2/webhooks/{name}/deliveries", .get, respond: deliveries)
    }

    private static func name(_ context: RouteContext) throws -> String {
        guard let name = context.parameters.get("name"), ScheduleDefinition.isValidName(name) else {
            throw APIError(.notFound, "no such webhook: a name is 1 to 100 letters, digits, '.', '_', '-' or '~'")
        }
        return name
    }

    /// `PUT /v2/webhooks/{name}`: 201 with the new webhook, 200 with the replaced one; the secret is never answered.
    @Sendable func put(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        var request = request
        let body = try await request.jsonBody(limit: bodyLimit)
        let violations = Self.schema.validate(body)
        guard violations.isEmpty else { throw APIError(.badRequest, "the webhook does not match the v2 webhook schema", violations: violations) }
        let members = body.objectValue!
        if let given = members["name"]?.stringValue, given != name {
            throw APIError(.badRequest, "name '\(given)' in the body is not the webhook's name in the path, '\(name)'")
        }
        let saved = try await webhooks.save(
            name: name, url: members["url"]!.stringValue!, secret: members["secret"]!.stringValue!,
            events: members["events"]!.arrayValue!.compactMap(\.stringValue))
        context.logger.info(saved.created ? "webhook created" : "webhook replaced", metadata: ["webhook": "\(name)"])
        return .json(V2Representations.webhook(saved.webhook), status: saved.created ? .created : .ok)
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        guard let webhook = try await webhooks.webhook(named: name) else { throw APIError(.notFound, "no such webhook: \(name)") }
        return .json(V2Representations.webhook(webhook))
    }

    @Sendable func delete(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        guard try await webhooks.delete(named: name) else { throw APIError(.notFound, "no such webhook: \(name)") }
        context.logger.info("webhook deleted", metadata: ["webhook": "\(name)"])
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let limit = try V2Query.limit(request)
        var after: String?
        if let given = parameters["after"].map(String.init) {
            guard ScheduleDefinition.isValidName(given) else { throw APIError(.badRequest, "query parameter after must be a webhook name") }
            after = given
        }
        let page = try await webhooks.list(after: after, limit: limit)
        return .json([
            "webhooks": .array(page.map(V2Representations.webhook)),
            "next_after": page.count == limit ? page.last.map { .string($0.name) } ?? .null : .null,
        ])
    }

    /// `GET /v2/webhooks/{name}/deliveries?before=&limit=`: newest first, each with its attempts.
    @Sendable func deliveries(_ request: Request, context: RouteContext) async throws -> Response {
        let name = try Self.name(context)
        let parameters = request.uri.queryParameters
        let limit = try V2Query.limit(request)
        var before: UUID?
        if let given = parameters["before"].map(String.init) {
            guard let id = UUID(canonicalText: given) else { throw APIError(.badRequest, "query parameter before must be a delivery id") }
            before = id
        }
        guard let page = try await webhooks.deliveries(of: name, before: before, limit: limit) else {
            throw APIError(.notFound, "no such webhook: \(name)")
        }
        return .json([
            "deliveries": .array(page.map(V2Representations.delivery)),
            "next_before": page.count == limit ? page.last.map { .string($0.id.canonical) } ?? .null : .null,
        ])
    }
}
