import FleetModel
import FleetService
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// Polls answered from memory: what they save, and that they never hide a task this process made claimable. Every
/// test runs against every engine; a task inserted into the store behind the shortcut stands for one created
/// through another `afm` process.
@Suite("Idle polls answered from memory")
struct IdlePollShortcutTests {
    @Test("after an empty claim, polls are answered from memory for one second; a task created here is claimed at once",
          arguments: StoreEngine.allCases)
    func emptyClaimRemembered(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: testLogger)
            let agent = UUID()
            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(0)).isEmpty)

            // Created through another process: this one cannot know of it, and answers from memory.
            let elsewhere = Sample.task()
            try await store.createTask(elsewhere, at: Sample.time(0.1))
            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(0.5)).isEmpty)
            // A second later the memory is no longer trusted.
            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(1.0)).map(\.id) == [elsewhere.id])

            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(1.1)).isEmpty)
            let here = Sample.task()
            try await shortcut.createTask(here, at: Sample.time(1.2))
            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(1.3)).map(\.id) == [here.id])
        }
    }

    @Test("a memory holds only for the same capabilities", arguments: StoreEngine.allCases)
    func memoryPerCapabilities(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: testLogger)
            let waitOnly = [Capability(type: "wait", version: 1)]
            let waitAndOther = [Capability(type: "wait", version: 1), Capability(type: "other", version: 1)]
            let (first, second) = (UUID(), UUID())
            #expect(try await shortcut.poll(Sample.poll(agent: first, capabilities: waitOnly), at: Sample.time(0)).isEmpty)
            // Known from now on, with no claim made for its capabilities.
            _ = try await shortcut.poll(Sample.poll(agent: second, capabilities: waitAndOther, maxTasks: 0), at: Sample.time(0))
            let other = Sample.task(type: "other")
            try await store.createTask(other, at: Sample.time(0.1))
            let claimed = try await shortcut.poll(Sample.poll(agent: second, capabilities: waitAndOther), at: Sample.time(0.2))
            #expect(claimed.map(\.id) == [other.id])
        }
    }

    @Test("a task handed back by the sweep is claimed by the next poll", arguments: StoreEngine.allCases)
    func handedBackTaskClaimable(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: testLogger)
            let task = Sample.task()
            try await shortcut.createTask(task, at: Sample.time(0))
            let lost = UUID()
            #expect(try await shortcut.poll(Sample.poll(agent: lost), at: Sample.time(0)).map(\.id) == [task.id])
            let agent = UUID()
            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(100)).isEmpty)
            let report = try await shortcut.sweep(at: Sample.time(100.1), agentSeenSince: Sample.time(50), maxAttempts: 3)
            #expect(report.handedBack == 1)
            #expect(try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(100.2)).map(\.id) == [task.id])
        }
    }

    @Test("agents seen by polls answered from memory reach the store together, when written",
          arguments: StoreEngine.allCases)
    func sightingsWritten(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: testLogger, emptyClaimLifetime: 3600)
            let known = (0..<3).map { _ in UUID() }
            for agent in known {
                _ = try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(0), lastSeenResolution: 10)
            }
            // The first poll asked the store; the others were answered from memory, their agents written now.
            await shortcut.writeSightings()
            // Answered from memory: a new agent, and known ones past the resolution, wait for the next write.
            let newcomer = UUID()
            _ = try await shortcut.poll(Sample.poll(agent: newcomer, name: "newcomer"), at: Sample.time(30), lastSeenResolution: 10)
            for agent in known {
                _ = try await shortcut.poll(Sample.poll(agent: agent), at: Sample.time(30), lastSeenResolution: 10)
                #expect(try await store.agent(id: agent)?.lastSeen == Sample.time(0))
            }
            #expect(try await store.agent(id: newcomer) == nil)
            await shortcut.writeSightings()
            for agent in known {
                #expect(try await store.agent(id: agent)?.lastSeen == Sample.time(30))
            }
            #expect(try await store.agent(id: newcomer)?.name == "newcomer")

            // Within the resolution of the last write there is nothing to write; past it, there is again.
            _ = try await shortcut.poll(Sample.poll(agent: known[0]), at: Sample.time(35), lastSeenResolution: 10)
            await shortcut.writeSightings()
            #expect(try await store.agent(id: known[0])?.lastSeen == Sample.time(30))
            // (Readers of agents write what is pending first: FleetOverviewTests.)
        }
    }

    @Test("an agent's row is never set back to an older sighting", arguments: StoreEngine.allCases)
    func olderSightingIgnored(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let agent = UUID()
            _ = try await store.poll(Sample.poll(agent: agent, name: "current"), at: Sample.time(10))
            try await store.recordAgents([AgentSighting(Sample.poll(agent: agent, name: "stale"), at: Sample.time(5))])
            let record = try #require(try await store.agent(id: agent))
            #expect(record.name == "current" && record.lastSeen == Sample.time(10))
            try await store.recordAgents([AgentSighting(Sample.poll(agent: agent, name: "newer"), at: Sample.time(20))])
            #expect(try await store.agent(id: agent)?.name == "newer")
        }
    }

    @Test("a changed agent is written by its poll at once when that poll asks the store", arguments: StoreEngine.allCases)
    func changedAgentWritten(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: testLogger)
            let agent = UUID()
            let task = Sample.task()
            try await shortcut.createTask(task, at: Sample.time(0))
            _ = try await shortcut.poll(Sample.poll(agent: agent, name: "before"), at: Sample.time(0))
            _ = try await shortcut.poll(Sample.poll(agent: agent, name: "after", maxTasks: 1), at: Sample.time(0.5))
            #expect(try await store.agent(id: agent)?.name == "after")
        }
    }

    @Test("a memory holds only for the same place: an empty claim in one says nothing of another's tasks",
          arguments: StoreEngine.allCases)
    func memoryPerPlace(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let shortcut = IdlePollShortcut(wrapping: store, recordingAgentsIn: store, logger: testLogger)
            let forFinland = Sample.task(locations: ["FI"])
            try await store.createTask(forFinland, at: Sample.time(0))
            #expect(try await shortcut.poll(Sample.poll(at: "SE/AB"), at: Sample.time(0.1)).isEmpty)
            #expect(try await shortcut.poll(Sample.poll(at: "SE/AB"), at: Sample.time(0.2)).isEmpty)
            #expect(try await shortcut.poll(Sample.poll(at: "FI/18"), at: Sample.time(0.3)).map(\.id) == [forFinland.id])
        }
    }
}
