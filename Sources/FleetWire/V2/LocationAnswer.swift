import JSON

/// A place where agents are active, as `GET /v2/locations` answers it.
public struct LocationAnswer: Sendable, Equatable {
    /// `FI` or `FI/18`.
    public let location: String
    public let country: String
    public let region: String?
    public let activeAgents: Int64
    public let capabilities: [WireCapability]

    public init(location: String, country: String, region: String?, activeAgents: Int64, capabilities: [WireCapability]) {
        self.location = location
        self.country = country
        self.region = region
        self.activeAgents = activeAgents
        self.capabilities = capabilities
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "location": .string(location), "country": .string(country), "active_agents": .number(.integer(activeAgents)),
            "capabilities": .array(capabilities.map(\.json)),
        ]
        members["region"] = region.map { .string($0) }
        return .object(members)
    }
}
