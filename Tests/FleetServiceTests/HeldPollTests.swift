import FleetModel
import FleetService
import FleetStore
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// Held polls in the domain, on each engine: woken by the tasks they may claim (and only as many as those tasks
/// feed, oldest first), ended at their deadline, by a hang-up or by the server stopping.
@Suite("Held polls")
struct HeldPollTests {
    /// Polls are held up to five minutes: a poll answered within a minute was woken, whatever the load on the machine.
    static func fleet(_ store: any TaskStore, maximumPollWait: Int = 300) -> FleetService {
        FleetService(store: store, policy: FleetPolicy(agentActiveThreshold: 3600, maximumPollWait: maximumPollWait), logger: testLogger)
    }

    /// Starts a poll held up to `wait` seconds and returns once it waits (its first claim found nothing).
    static func hold(
        _ tasks: TaskService, _ held: HeldPolls, _ poll: AgentPoll = Sample.poll(), wait: Int = 300, hangUp: ManualHangUp? = nil
    ) async throws -> Task<TaskService.PollAnswer, any Error> {
        let before = held.waiting
        let task = Task { try await tasks.poll(poll, wait: wait, hangUp: hangUp) }
        try await waitUntil { held.waiting == before + 1 }
        return task
    }

    @Test("a held poll returns the task created while it waits, long before its deadline", arguments: StoreEngine.allCases)
    func wokenByCreate(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            let started = ContinuousClock.now
            let poll = try await Self.hold(fleet.tasks, fleet.wakeups.held)
            try await Task.sleep(for: .milliseconds(300))
            let task = Sample.task()
            _ = try await fleet.tasks.create(task, data: nil)
            let answer = try await poll.value
            #expect(answer.tasks.map(\.id) == [task.id])
            #expect(answer.appliedWait == 300)
            #expect(started.duration(to: .now) < .seconds(60))
            #expect(fleet.wakeups.held.count == 0)
        }
    }

    @Test("an empty held poll is answered at its deadline, capped by the policy", arguments: StoreEngine.allCases)
    func deadline(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store, maximumPollWait: 1)
            let started = ContinuousClock.now
            let answer = try await fleet.tasks.poll(Sample.poll(), wait: 600)
            let waited = started.duration(to: .now)
            #expect(answer.tasks.isEmpty && answer.appliedWait == 1)
            #expect(waited >= .milliseconds(990) && waited < .seconds(60))
            // Without a wait, or with a poll that can take nothing, nothing is held.
            #expect(try await fleet.tasks.poll(Sample.poll()).appliedWait == nil)
            #expect(try await fleet.tasks.poll(Sample.poll(maxTasks: 0), wait: 5).appliedWait == nil)
        }
    }

    @Test("a poll is held at most half the active threshold, so that a held agent is seen again before it counts as lost")
    func waitWithinActiveThreshold() async throws {
        #expect(FleetPolicy(agentActiveThreshold: 300, maximumPollWait: 30).appliedPollWait(requested: 600) == 30)
        #expect(FleetPolicy(agentActiveThreshold: 20, maximumPollWait: 30).appliedPollWait(requested: 600) == 10)
        #expect(FleetPolicy(agentActiveThreshold: 1, maximumPollWait: 30).appliedPollWait(requested: 600) == 0)
        try await StoreEngine.sqliteMemory.withStore { store in
            let fleet = FleetService(
                store: store, policy: FleetPolicy(agentActiveThreshold: 2, maximumPollWait: 300), logger: testLogger)
            let answer = try await fleet.tasks.poll(Sample.poll(), wait: 600)
            #expect(answer.appliedWait == 1)
        }
    }

    @Test("one task wakes one held poll, the one waiting longest; a task of another kind wakes none",
          arguments: StoreEngine.allCases)
    func noHerd(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            let held = fleet.wakeups.held
            var polls: [Task<TaskService.PollAnswer, any Error>] = []
            let agents = (0..<5).map { _ in UUID() }
            for agent in agents { polls.append(try await Self.hold(fleet.tasks, held, Sample.poll(agent: agent))) }
            let other = try await Self.hold(fleet.tasks, held, Sample.poll(capabilities: [Capability(type: "other", version: 1)]))

            let task = Sample.task()
            _ = try await fleet.tasks.create(task, data: nil)
            #expect(try await polls[0].value.tasks.map(\.id) == [task.id])
            // The others stay held: nothing was woken for them, or a woken one found nothing and waits again.
            try await Task.sleep(for: .milliseconds(300))
            #expect(held.count == 5)
            #expect(try await store.task(id: task.id)?.agentID == agents[0])

            _ = try await fleet.tasks.create(Sample.task(type: "other"), data: nil)
            #expect(try await other.value.tasks.count == 1)
            held.release()
            for poll in polls.dropFirst() { #expect(try await poll.value.tasks.isEmpty) }
        }
    }

    @Test("a batch wakes as many held polls as it feeds; one that fills its places passes the word on",
          arguments: StoreEngine.allCases)
    func batchAndPassOn(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            let held = fleet.wakeups.held
            var polls: [Task<TaskService.PollAnswer, any Error>] = []
            for _ in 0..<3 { polls.append(try await Self.hold(fleet.tasks, held)) }
            let batch = (0..<3).map { _ in TaskService.BatchItem(task: Sample.task(), data: nil, dataLocation: "/") }
            _ = try await fleet.tasks.createBatch(batch)
            var claimed: [UUID] = []
            for poll in polls { claimed += try await poll.value.tasks.map(\.id) }
            #expect(Set(claimed) == Set(batch.map(\.task.id)))

            // Tasks a waking poll does not take (created by another process, say, with no word of them) are found
            // by the next poll it wakes: one place each, two tasks, one wake-up.
            let first = try await Self.hold(fleet.tasks, held)
            let second = try await Self.hold(fleet.tasks, held)
            let unannounced = [Sample.task(), Sample.task()]
            for task in unannounced { _ = try await store.insertTask(task, at: .now()) }
            // As word from another process does (`TaskWakeups.listen`): the shortcut forgets its empty claims first.
            fleet.shortcut.tasksMayBeClaimable()
            held.tasksArrived(TaskKind(capability: Capability(type: "wait", version: 1)), count: 1)
            let both = try await first.value.tasks.map(\.id) + second.value.tasks.map(\.id)
            #expect(Set(both) == Set(unannounced.map(\.id)))
        }
    }

    @Test("tasks that arrive before a woken poll starts its claim are its, as far as its places go, and wake nobody else")
    func arrivalsBeforeTheClaimAreTheWokenPolls() async throws {
        let held = HeldPolls()
        let kind = TaskKind(capability: Capability(type: "wait", version: 1))
        let ended = EndingsSeen()
        let deadline = ContinuousClock.now + .seconds(300)
        let first = try #require(held.enter(Sample.poll(maxTasks: 3), until: deadline))
        let second = try #require(held.enter(Sample.poll(maxTasks: 3), until: deadline))
        for ticket in [first, second] { held.whenSettled(ticket, hangUp: nil) { ended.record(ticket, $0) } }

        held.tasksArrived(kind, count: 1)
        #expect(ended.endings == [first: .woken])
        // The first poll has not started its claim: two more tasks fill its places, the fourth wakes the second.
        held.tasksArrived(kind, count: 2)
        #expect(ended.endings == [first: .woken])
        held.tasksArrived(kind, count: 1)
        #expect(ended.endings == [first: .woken, second: .woken])

        // Once its claim has started, what arrives is no longer counted as its: it wakes the poll waiting longest
        // again (the claim may have missed it), which then claims again instead of waiting.
        #expect(held.proceed(first, after: .woken) == .woken)
        #expect(held.proceed(second, after: .woken) == .woken)
        held.tasksArrived(kind, count: 1)
        let again = EndingsSeen()
        held.whenSettled(first, hangUp: nil) { again.record(first, $0) }
        #expect(again.endings == [first: .woken])
        for ticket in [first, second] { held.leave(ticket, claimedAll: false) }
        #expect(held.count == 0)
    }

    @Test("a poll woken for a task claims it even when its wait is over before its claim starts, then answers")
    func wokenPollOutlivesItsDeadline() async throws {
        let held = HeldPolls()
        let ended = EndingsSeen()
        let deadline = ContinuousClock.now + .milliseconds(200)
        let ticket = try #require(held.enter(Sample.poll(), until: deadline))
        held.whenSettled(ticket, hangUp: nil) { ended.record(ticket, $0) }
        held.tasksArrived(TaskKind(capability: Capability(type: "wait", version: 1)), count: 1)
        // A poll of another kind with the same deadline, ended by the same pass of the timer, after the first.
        let witness = try #require(held.enter(Sample.poll(capabilities: [Capability(type: "other", version: 1)]), until: deadline))
        held.whenSettled(witness, hangUp: nil) { ended.record(witness, $0) }
        try await waitUntil { ended.endings[witness] == .deadline }
        held.leave(witness, claimedAll: false)
        #expect(held.proceed(ticket, after: try #require(ended.endings[ticket])) == .woken)
        // Its claim found nothing (another agent was quicker): its wait is over, it does not wait again.
        let again = EndingsSeen()
        held.whenSettled(ticket, hangUp: nil) { again.record(ticket, $0) }
        #expect(again.endings == [ticket: .deadline])
        held.leave(ticket, claimedAll: false)
    }

    @Test("a task for a place wakes the poll waiting longest there, not older polls elsewhere", arguments: StoreEngine.allCases)
    func wokenInPlace(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            let held = fleet.wakeups.held
            let sweden = try await Self.hold(fleet.tasks, held, Sample.poll(at: "SE/AB"))
            let finland = try await Self.hold(fleet.tasks, held, Sample.poll(at: "FI/18"))
            let task = Sample.task(locations: ["FI"])
            _ = try await fleet.tasks.create(task, data: nil)
            // Within seconds, not at the deadline five minutes away; the poll in Sweden stays held.
            try await waitUntil { held.count == 1 }
            #expect(try await finland.value.tasks.map(\.id) == [task.id])
            #expect(held.count == 1)
            held.release()
            #expect(try await sweden.value.tasks.isEmpty)
        }
    }

    @Test("an agent that hangs up ends its held poll without a claim", arguments: StoreEngine.allCases)
    func hangUp(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            let notice = ManualHangUp()
            let poll = try await Self.hold(fleet.tasks, fleet.wakeups.held, hangUp: notice)
            notice.hangUp()
            #expect(try await poll.value.tasks.isEmpty)
            let task = Sample.task()
            _ = try await fleet.tasks.create(task, data: nil)
            #expect(try await store.task(id: task.id)?.state == .waiting)
        }
    }

    @Test("released (the server stops): every held poll is answered at once, and no poll is held after",
          arguments: StoreEngine.allCases)
    func release(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let fleet = Self.fleet(store)
            let held = fleet.wakeups.held
            var polls: [Task<TaskService.PollAnswer, any Error>] = []
            for _ in 0..<3 { polls.append(try await Self.hold(fleet.tasks, held)) }
            let started = ContinuousClock.now
            held.release()
            for poll in polls { #expect(try await poll.value.tasks.isEmpty) }
            #expect(started.duration(to: .now) < .seconds(60))
            #expect(try await fleet.tasks.poll(Sample.poll(), wait: 30).appliedWait == nil)
            #expect(held.count == 0)
        }
    }

    @Test("a task handed back by the sweep wakes a held poll", arguments: StoreEngine.allCases)
    func handedBack(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let clock = ManualClock()
            let fleet = FleetService(
                store: store, policy: FleetPolicy(agentActiveThreshold: 60, taskRunTimeout: nil), clock: clock, logger: testLogger)
            let task = Sample.task()
            _ = try await fleet.tasks.create(task, data: nil)
            #expect(try await fleet.tasks.poll(Sample.poll()).tasks.count == 1)
            let waiting = try await Self.hold(fleet.tasks, fleet.wakeups.held)
            // The first agent is not seen again: the sweep hands its task back.
            clock.advance(seconds: 120)
            await fleet.sweeper.sweepOnce()
            #expect(try await waiting.value.tasks.map(\.id) == [task.id])
        }
    }
}

/// The endings `HeldPolls.whenSettled` reported, by poll.
private final class EndingsSeen: Sendable {
    private let seen = Mutex<[HeldPolls.Ticket: HeldPolls.Ending]>([:])

    var endings: [HeldPolls.Ticket: HeldPolls.Ending] { seen.withLock { $0 } }

    func record(_ ticket: HeldPolls.Ticket, _ ending: HeldPolls.Ending) {
        seen.withLock { $0[ticket] = ending }
    }
}
