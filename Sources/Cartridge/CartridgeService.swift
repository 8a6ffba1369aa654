import ServiceLifecycle

/// The cartridge side as a service of the agent's group: runs until the agent stops.
public struct CartridgeService: Service {
    let agent: CartridgeAgent

    public init(agent: CartridgeAgent) {
        self.agent = agent
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { await agent.run() }
    }
}
