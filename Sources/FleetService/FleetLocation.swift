import FleetModel

/// A place where agents are active now: how many, and what they can run between them.
public struct FleetLocation: Sendable, Equatable {
    public let place: LocationCode
    public let activeAgents: Int
    /// Every capability of an active agent here, sorted.
    public let capabilities: [Capability]

    public init(place: LocationCode, activeAgents: Int, capabilities: [Capability]) {
        self.place = place
        self.activeAgents = activeAgents
        self.capabilities = capabilities
    }

    /// The places of `agents`, each country and region once, sorted.
    static func places(of agents: [LocatedAgent]) -> [FleetLocation] {
        var byPlace: [LocationCode: (agents: Int, capabilities: Set<Capability>)] = [:]
        for agent in agents {
            let place = LocationCode(agent.location)
            byPlace[place, default: (0, [])].agents += 1
            byPlace[place]!.capabilities.formUnion(agent.capabilities)
        }
        return byPlace.sorted { $0.key < $1.key }.map { place, found in
            FleetLocation(place: place, activeAgents: found.agents, capabilities: found.capabilities.sorted())
        }
    }
}
