/// An active agent that reported where it is, and what it can run there.
public struct LocatedAgent: Sendable, Equatable {
    public let location: AgentLocation
    public let capabilities: [Capability]

    public init(location: AgentLocation, capabilities: [Capability]) {
        self.location = location
        self.capabilities = capabilities
    }
}
