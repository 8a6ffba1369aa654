import FleetModel

/// How a task's locations are stored so that a claim finds the tasks an agent may take through an index.
///
/// Each task has a `route`: empty for a task that any agent may take, the one code of a task with one location
/// (`FI`, `FI/18`), or `+` for one with several. An agent at FI/18 then looks up the routes ``, `FI`, `FI/18` and
/// `+`, each in order through the claim index (type, version, route, seq), so that a backlog for other places is
/// never read; only the tasks of several locations are checked against the list in `locations`, stored as
/// `,FI,SE/AB,` (codes hold no commas) so that one `LIKE '%,FI,%'` finds a code in it.
enum TaskRoute {
    static let anywhere = ""
    static let several = "+"

    static func route(of locations: [LocationCode]) -> String {
        switch locations.count {
        case 0: anywhere
        case 1: locations[0].description
        default: several
        }
    }

    /// The `locations` column: nil for anywhere.
    static func stored(_ locations: [LocationCode]) -> String? {
        locations.isEmpty ? nil : "," + locations.map(\.description).joined(separator: ",") + ","
    }

    static func locations(stored: String?) -> [LocationCode] {
        (stored ?? "").split(separator: ",").compactMap { LocationCode(text: String($0)) }
    }

    /// The routes an agent at `location` may claim from. An agent that reported no location, or one that no task
    /// can name, takes only tasks for anywhere.
    static func routes(for location: AgentLocation?) -> [String] {
        guard let place = location.flatMap(codes(of:)) else { return [anywhere] }
        return [anywhere, place.country.description, place.region.description, several]
    }

    /// What a task of several locations must hold, one of them, for an agent at `location`: `LIKE` patterns.
    static func patterns(for location: AgentLocation?) -> [String] {
        guard let place = location.flatMap(codes(of:)) else { return [] }
        return ["%,\(place.country),%", "%,\(place.region),%"]
    }

    /// The country and the region of an agent's location as codes, when both are codes a task could name.
    private static func codes(of location: AgentLocation) -> (country: LocationCode, region: LocationCode)? {
        guard let region = LocationCode(text: "\(location.country)/\(location.region)"), region.country == location.country,
            region.region == location.region
        else { return nil }
        return (LocationCode(country: location.country, region: nil), region)
    }
}
