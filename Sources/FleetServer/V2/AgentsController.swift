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

    /// `GET /v2/agents?location=COUNTRY[/REGION]`.
    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let agents = try await overview.agents(limit: 1000, in: try LocationsController.place(in: request))
        let since = overview.activeSince
        return .json(["agents": .array(agents.map { V2Representations.agent($0, activeSince: since).json })])
    }

    @Sendable func read(_ request: Request, context: RouteContext) async throws -> Response {
        guard let text = context.parameters.get("agent_id"), let id = UUID(canonicalText: text) else {
            throw APIError(.notFound, "no such agent: the id is not a UUID")
        }
        guard let agent = try await overview.agent(id: id) else { throw APIError(.notFound, "no such agent: \(id.canonical)") }
        return .json(V2Representations.agent(agent, activeSince: overview.activeSince).json)
    }
}
