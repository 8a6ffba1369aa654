import FleetService
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// Readers of agents see every poll answered from memory.
@Suite("Fleet overview")
struct FleetOverviewTests {
    @Test("polls answered by the idle-poll shortcut are written before any read of agents", arguments: StoreEngine.allCases)
    func readsSeeShortcutPolls(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let clock = ManualClock()
            let fleet = FleetService(
                store: store, policy: FleetPolicy(agentActiveThreshold: 100), clock: clock, logger: testLogger, emptyClaimLifetime: 3600)
            let agents = (0..<2).map { _ in UUID() }
            _ = try await fleet.tasks.poll(Sample.poll(agent: agents[0]))
            // Answered from memory: the agent is not yet in the store.
            clock.advance(seconds: 1)
            _ = try await fleet.tasks.poll(Sample.poll(agent: agents[1], name: "second"))
            #expect(try await store.agent(id: agents[1]) == nil)
            #expect(try await fleet.overview.agent(id: agents[1])?.name == "second")
            clock.advance(seconds: 30)
            _ = try await fleet.tasks.poll(Sample.poll(agent: agents[0], name: "renamed"))
            #expect(try await fleet.overview.agents(limit: 10).first?.name == "renamed")
            #expect(try await fleet.overview.status().activeAgents == 2)
        }
    }
}
