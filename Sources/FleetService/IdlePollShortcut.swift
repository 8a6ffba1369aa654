import FleetModel
import FleetStore
import Foundation
import JSON
import Logging
import ServiceLifecycle
import Synchronization

/// A task queue in front of another that answers idle polls from memory.
///
/// Most polls of a quiet fleet claim nothing, yet each would cost a database round trip. This queue remembers, for
/// each set of capabilities in each place, that a claim found fewer tasks than it asked for; until a task may have
/// become claimable since (this process created one, or the sweep handed one back), it answers the next polls with
/// the same capabilities in the same place with nothing. The agents those polls describe are written once a second,
/// all in one statement (`FleetDirectory.recordAgents`), and before the sweep; readers of agents call
/// `writeSightings()` first, so that this process never shows an agent older than its last poll. Everything else
/// goes straight to the queue behind.
///
/// Tasks created or handed back through another process sharing the database are not seen here, so a remembered
/// empty claim is trusted for `emptyClaimLifetime` only (one second): a poll may then miss a task created through
/// another `afm` process within the last second. The same bound covers a claim that skipped rows locked by a
/// transaction that then rolled back.
public final class IdlePollShortcut: TaskQueue, Service {
    private let queue: any TaskQueue
    private let directory: any FleetDirectory
    private let logger: Logger
    private let emptyClaimLifetime: Double
    private let sightingInterval: Duration
    private let state = Mutex(State())

    /// Beyond this many agents or capability sets, the memory starts again empty: it only saves work.
    private static let maximumRemembered = 100_000

    /// Answers idle polls for `queue`; the agents those polls describe are written to `directory`.
    public init(
        wrapping queue: any TaskQueue, recordingAgentsIn directory: any FleetDirectory, logger: Logger,
        emptyClaimLifetime: Double = 1, sightingInterval: Duration = .seconds(1)
    ) {
        self.queue = queue
        self.directory = directory
        self.logger = logger
        self.emptyClaimLifetime = emptyClaimLifetime
        self.sightingInterval = sightingInterval
    }

    /// Writes the agents seen by polls answered here every `sightingInterval`, and once more at shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while true {
                do { try await Task.sleep(for: self.sightingInterval) } catch { break }
                await self.writeSightings()
            }
        }
        await writeSightings()
    }

    // MARK: Polls

    public func poll(_ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double) async throws -> [ClaimedTask] {
        let generation: UInt64
        switch state.withLock({ $0.answer(poll, at: now, lastSeenResolution: lastSeenResolution, emptyClaimLifetime: emptyClaimLifetime) }) {
        case .nothingToClaim:
            return []
        case .askStore(let current):
            generation = current
        }
        let claimed = try await queue.poll(poll, at: now, lastSeenResolution: lastSeenResolution)
        state.withLock { $0.remember(poll, claimed: claimed.count, generation: generation, at: now, lastSeenResolution: lastSeenResolution) }
        return claimed
    }

    /// Writes the agents seen by polls answered here, after any write already under way: when it returns, every
    /// poll answered before the call is in the store.
    public func writeSightings() async {
        let write: Task<Void, Never>? = state.withLock { state in
            guard !state.sightings.isEmpty || state.writesQueued > 0 else { return nil }
            let previous = state.lastWrite
            state.writesQueued += 1
            let next = Task {
                await previous?.value
                await self.writeSightingsNow()
                self.state.withLock { $0.writesQueued -= 1 }
            }
            state.lastWrite = next
            return next
        }
        await write?.value
    }

    private func writeSightingsNow() async {
        let sightings = state.withLock { state in
            defer { state.sightings = [:] }
            return state.sightings
        }
        guard !sightings.isEmpty else { return }
        do {
            try await directory.recordAgents(Array(sightings.values))
            let recovered = state.withLock { state in
                for sighting in sightings.values { state.written(sighting) }
                defer { state.writesFailing = false }
                return state.writesFailing
            }
            if recovered { logger.info("recording the agents seen again") }
        } catch {
            // Kept for the next write; one line for a run of failures, not one a second.
            let firstFailure = state.withLock { state in
                state.sightings.merge(sightings) { pending, failed in pending.lastSeen >= failed.lastSeen ? pending : failed }
                defer { state.writesFailing = true }
                return !state.writesFailing
            }
            if firstFailure {
                logger.warning("cannot record the agents seen; retrying every second", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: What can make a task claimable

    public func insertTask(_ task: NewTask, at now: Timestamp) async throws -> TaskRecord? {
        // After the insert has committed (or failed, perhaps after committing): a claim that starts later sees it.
        defer { tasksMayBeClaimable() }
        return try await queue.insertTask(task, at: now)
    }

    public func sweep(at now: Timestamp, agentSeenSince: Timestamp, claimedBefore: Timestamp?, maxAttempts: Int) async throws -> SweepReport {
        // Agents seen here must not look lost to the sweep.
        await writeSightings()
        let report: SweepReport
        do {
            report = try await queue.sweep(at: now, agentSeenSince: agentSeenSince, claimedBefore: claimedBefore, maxAttempts: maxAttempts)
        } catch {
            tasksMayBeClaimable()
            throw error
        }
        if report.handedBack > 0 { tasksMayBeClaimable() }
        return report
    }

    /// Forgets every empty claim: a task may have become claimable that this process did not create or hand back
    /// (word from another process).
    public func tasksMayBeClaimable() {
        state.withLock { $0.generation &+= 1 }
    }

    public func cancelTask(id: UUID, at now: Timestamp) async throws -> TaskRecord {
        // A cancelled claim frees the agent's place, not a task: nothing becomes claimable.
        try await queue.cancelTask(id: id, at: now)
    }

    public func recordOutcome(
        _ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?, at now: Timestamp, resultCheckedAgainst: Timestamp?
    ) async throws -> Bool {
        try await queue.recordOutcome(outcome, forTask: id, by: agentID, at: now, resultCheckedAgainst: resultCheckedAgainst)
    }
}

extension IdlePollShortcut {
    /// What this process knows; every change under the lock, never across an `await`.
    struct State {
        /// Moves on whenever a task may have become claimable; a remembered empty claim holds for one generation.
        var generation: UInt64 = 0
        var emptyClaims: [ClaimScope: EmptyClaim] = [:]
        /// Agents as their rows in the store were last written; each last-seen time is a lower bound.
        var agents: [UUID: AgentSighting] = [:]
        /// Agents seen by polls answered here, not yet written.
        var sightings: [UUID: AgentSighting] = [:]
        /// The newest write of sightings, which waits for those before it, and how many are queued or running.
        var lastWrite: Task<Void, Never>?
        var writesQueued = 0
        var writesFailing = false

        enum Answer {
            case nothingToClaim
            /// Ask the store; `generation` is the one current before asking.
            case askStore(generation: UInt64)
        }

        mutating func answer(
            _ poll: AgentPoll, at now: Timestamp, lastSeenResolution: Double, emptyClaimLifetime: Double
        ) -> Answer {
            if poll.maxTasks > 0, !poll.capabilities.isEmpty {
                guard let empty = emptyClaims[ClaimScope(poll)], empty.generation == generation,
                      empty.at <= now, now < empty.at.adding(seconds: emptyClaimLifetime)
                else { return .askStore(generation: generation) }
            }
            // Nothing to write for an unchanged agent whose row is fresh, as the store's own poll would not write.
            if let agent = agents[poll.agentID], agent.describes(poll), now < agent.lastSeen.adding(seconds: lastSeenResolution) {
                return .nothingToClaim
            }
            if let pending = sightings[poll.agentID], pending.lastSeen > now { return .nothingToClaim }
            sightings[poll.agentID] = AgentSighting(poll, at: now)
            return .nothingToClaim
        }

        mutating func remember(_ poll: AgentPoll, claimed: Int, generation: UInt64, at now: Timestamp, lastSeenResolution: Double) {
            // The store's poll wrote the row if it changed; otherwise it left a last-seen time no older than
            // `lastSeenResolution`.
            var lastSeen = now.adding(seconds: -lastSeenResolution)
            if let known = agents[poll.agentID] {
                lastSeen = known.describes(poll) ? Swift.max(lastSeen, known.lastSeen) : now
            }
            remember(AgentSighting(poll, at: lastSeen))

            guard !poll.capabilities.isEmpty else { return }
            if claimed < poll.maxTasks {
                if emptyClaims.count >= IdlePollShortcut.maximumRemembered { emptyClaims.removeAll(keepingCapacity: true) }
                emptyClaims[ClaimScope(poll)] = EmptyClaim(generation: generation, at: now)
            } else {
                emptyClaims[ClaimScope(poll)] = nil
            }
        }

        /// A sighting is in the store, unless the row there was newer (then it was left as it was).
        mutating func written(_ sighting: AgentSighting) {
            if let known = agents[sighting.agentID], known.lastSeen > sighting.lastSeen { return }
            remember(sighting)
        }

        private mutating func remember(_ agent: AgentSighting) {
            if agents.count >= IdlePollShortcut.maximumRemembered { agents.removeAll(keepingCapacity: true) }
            agents[agent.agentID] = agent
        }
    }

    /// What a claim may take: its capabilities, in its agent's place (an agent in one place finding nothing says
    /// nothing of another place's tasks).
    struct ClaimScope: Hashable {
        let capabilities: [Capability]
        let place: LocationCode?

        init(_ poll: AgentPoll) {
            capabilities = poll.capabilities
            place = poll.location.map(LocationCode.init)
        }
    }

    /// A claim with these capabilities that left nothing behind.
    struct EmptyClaim {
        let generation: UInt64
        let at: Timestamp
    }
}
