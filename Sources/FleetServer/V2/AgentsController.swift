import FleetHTTP
import FleetService
import Foundation
import Hummingbird
import JSON

/// `/v2/agents`: who is polling, what they can run, whether they are active or lost, and what they hold.
struct AgentsController {
    let overview: FleetOverview

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/agents", .get, respond: list)
        routes.on("/v2/agents/{agent_id}", .get, respond: read)
    }

    /// `GET /v2/agents?location=COUNTRY[/REGION]&limit=&cursor=`: agents in the order of their ids, a page at a
    /// time, as `/v2/tasks` pages (`next_cursor`, null on the last page).
    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let limit = try V2Query.limit(request)
        var after: UUID?
        if let cursor = request.uri.queryParameters["cursor"].map(String.init) {
            guard let value = UUID(canonicalText: cursor) else {
                throw APIError(.badRequest, "query parameter cursor must be a cursor from an earlier page")
            }
            after = value
        }
        let found = try await overview.agentPage(after: after, limit: limit + 1, in: try LocationsController.place(in: request))
        let page = found.prefix(limit)
        let since = overview.activeSince
        return .json([
            "agents": .array(page.map { V2Representations.agent($0, activeSince: since).json }),
            "next_cursor": found.count > limit ? page.last.map { .string($0.id.canonical) } ?? .null : .null,
        ])
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        guard let text = context.parameters.get("agent_id"), let id = UUID(canonicalText: text) else {
            throw APIError(.notFound, "no such agent: the id is not a UUID")
        }
        guard let agent = try await overview.agent(id: id) else { throw APIError(.notFound, "no such agent: \(id.canonical)") }
        return .json(V2Representations.agent(agent, activeSince: overview.activeSince).json)
    }
}
