import FleetHTTP
import FleetModel
import FleetService
import Hummingbird
import JSON

/// `/v2/locations`: the places where agents are active, how many, and what they can run there.
struct LocationsController {
    let overview: FleetOverview

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/v2/locations", .get, respond: list)
    }

    @Sendable func list(_ request: Request, context: RouteContext) async throws -> Response {
        let locations = try await overview.locations()
        return .json(["locations": .array(locations.map { V2Representations.location($0).json })])
    }

    /// The `location` query parameter: `COUNTRY` or `COUNTRY/REGION`; nil when absent, 400 when not one.
    static func place(in request: Request) throws -> LocationCode? {
        guard let text = request.uri.queryParameters["location"].map(String.init) else { return nil }
        guard let place = LocationCode(text: text) else {
            throw APIError(.badRequest, "query parameter location must be COUNTRY or COUNTRY/REGION, as agents report them (FI, FI/18)")
        }
        return place
    }
}
