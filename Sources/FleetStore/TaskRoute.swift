import FleetModel

/// How a task's locations are stored so that a claim finds the tasks an agent may take through an index.
///
/// Each task has a `route`: empty for a task that any agent may take, the one code of a task with one location
/// (`FI`, `FI/18`), or `+` for one with several. An agent at FI/18 then looks up the routes ``, `FI`, `FI/18` and
/// `+`, each in order through the claim index (type, version, route, seq), so that a backlog for other places is
/// never read; only the tasks of several locations are checked against the list in `locations`, stored as
/// `,FI,SE/AB,` (codes hold no commas) so that one `LIKE '%,FI,%'` finds a code in it.
package enum TaskRoute {
    package static let anywhere = ""
    package static let several = "+"

    package static func route(of locations: [LocationCode]) -> String {
        switch locations.count {
        case 0: anywhere
        case 1: locations[0].description
        default: several
        }
    }

    /// The `locations` column: nil for anywhere.
    package static func stored(_ locations: [LocationCode]) -> String? {
        locations.isEmpty ? nil : "," + locations.map(\.description).joined(separator: ",") + ","
    }

    package static func locations(stored: String?) -> [LocationCode] {
        (stored ?? "").split(separator: ",").compactMap { LocationCode(text: String($0)) }
    }

    /// What a claim for an agent looks up: the routes it may claim from, and the `LIKE` patterns of which a task of
    /// several locations must match one.
    package struct Lookup {
        package let routes: [String]
        package let patterns: [String]
    }

    /// An agent that reported no location, or one that no task can name, takes only tasks for anywhere.
    package static func lookup(for location: AgentLocation?) -> Lookup {
        guard let place = location.flatMap(codes(of:)) else { return Lookup(routes: [anywhere], patterns: []) }
        return Lookup(
            routes: [anywhere, place.country.description, place.region.description, several],
            patterns: ["%,\(place.country),%", "%,\(place.region),%"])
    }

    /// The country and the region of an agent's location as codes, when both are codes a task could name.
    private static func codes(of location: AgentLocation) -> (country: LocationCode, region: LocationCode)? {
        guard let region = LocationCode(text: "\(location.country)/\(location.region)"), region.country == location.country,
            region.region == location.region
        else { return nil }
        return (LocationCode(country: location.country, region: nil), region)
    }
}
