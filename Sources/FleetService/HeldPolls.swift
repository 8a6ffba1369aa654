import FleetModel
import HeapModule
import ServiceLifecycle
import Synchronization

/// Polls held open (`Prefer: wait`) until a task they may claim arrives, their wait is over, their agent hangs up
/// or the server stops; and the wake-ups that end them.
///
/// A wake-up names the kind of task that arrived (a capability) and how many; it wakes the longest-waiting polls
/// that can run that kind until their free places cover the tasks, not every poll with the capability. A woken
/// poll claims through the store like any other. A poll is wakeable from before its first claim, so that a task
/// created while it claims is not missed: it then claims again instead of waiting. A poll that fills all its
/// places, or was woken during a claim that found older tasks, passes a wake-up on to the next poll, since more
/// tasks may be waiting.
///
/// One timer, set to the earliest deadline (late by up to 100 ms, so that deadlines close together end at once),
/// ends the polls whose wait is over. As a `Service`, it answers every held poll at once (empty) when the service
/// group shuts down gracefully, and holds no poll after that.
public final class HeldPolls: Service, Sendable {
    /// Why a held poll stopped waiting.
    public enum Ending: Sendable, Equatable {
        /// A task it may claim may have arrived: claim again.
        case woken
        case deadline
        /// The server is stopping.
        case released
        /// Its agent closed the connection: claim nothing for it.
        case hungUp
    }

    /// A held poll, from `enter` to `leave`; ordered by arrival, so the oldest is woken first.
    public struct Ticket: Sendable, Hashable {
        let arrival: UInt64
    }

    /// Ends a poll's wait, called outside the lock.
    typealias Resumption = @Sendable (Ending) -> Void

    private let state = Mutex(State())
    private let events: any FleetEvents
    static let coalescingWindow = Duration.milliseconds(100)

    public init(events: any FleetEvents = UncountedEvents()) {
        self.events = events
    }

    /// Polls held now.
    public var count: Int { state.withLock { $0.waiters.count } }
    /// Held polls waiting for a wake-up now, not claiming.
    public var waiting: Int { state.withLock { $0.waiters.values.count { $0.resumption != nil } } }

    // MARK: A poll's side

    /// Holds a poll that is about to claim: from now on a wake-up for its capabilities reaches it. Nil when polls
    /// are no longer held (the server is stopping) or it could claim nothing anyway.
    public func enter(_ poll: AgentPoll, until deadline: ContinuousClock.Instant) -> Ticket? {
        guard poll.maxTasks > 0, !poll.capabilities.isEmpty else { return nil }
        let (ticket, held) = state.withLock { state -> (Ticket?, Int) in
            guard !state.released else { return (nil, state.waiters.count) }
            let ticket = state.admit(
                capabilities: poll.capabilities, location: poll.location, places: poll.maxTasks, deadline: deadline)
            reschedule(&state)
            return (ticket, state.waiters.count)
        }
        if ticket != nil { events.heldPolls(held) }
        return ticket
    }

    /// Called after a claim found nothing: waits until the poll is woken (it is wakeable again, for its next claim),
    /// its deadline passes, its agent hangs up or the server stops. Answers at once when one of those already
    /// happened during the claim.
    public func settle(_ ticket: Ticket, hangUp: (any HangUp)?) async -> Ending {
        let ended = await withCheckedContinuation { continuation in
            whenSettled(ticket, hangUp: hangUp) { continuation.resume(returning: $0) }
        }
        return proceed(ticket, after: ended)
    }

    /// `settle` in two steps, without a task waiting: calls `then` once, from whichever thread ends the wait (at once
    /// when it ended during the claim). Thousands of held polls then keep no suspended task, and none of the memory
    /// a task keeps for the deepest call it made. The poll goes on with `proceed` when it is ready to claim.
    public func whenSettled(_ ticket: Ticket, hangUp: (any HangUp)?, then: @escaping @Sendable (Ending) -> Void) {
        hangUp?.whenHungUp { [self] in self.hungUp(ticket) }
        let resumption: Resumption = { ended in
            hangUp?.forget()
            then(ended)
        }
        let immediate = state.withLock { $0.suspend(ticket, resumption) }
        if let immediate { resumption(immediate) }
    }

    /// What a poll whose wait ended as `ended` does now: `.woken`, claim (it is wakeable during that claim, and
    /// tasks that arrive from now on are no longer counted as its); otherwise answer.
    public func proceed(_ ticket: Ticket, after ended: Ending) -> Ending {
        state.withLock { $0.takePending(ticket, resumedWith: ended) }
    }

    /// Ends a held poll. `claimedAll`: its claim filled every place, so more tasks may be waiting for the next poll.
    public func leave(_ ticket: Ticket, claimedAll: Bool) {
        let (woken, held) = state.withLock { state -> ([Resumption], Int) in
            let passOn = state.remove(ticket)
            var woken: [Resumption] = []
            if let passOn, claimedAll || passOn.owesWake {
                woken = state.wakeOldest(among: passOn.capabilities, at: passOn.location)
            }
            return (woken, state.waiters.count)
        }
        for resumption in woken { resumption(.woken) }
        events.heldPolls(held)
    }

    // MARK: What wakes polls

    /// `count` tasks of `kind` became claimable: polls whose agents are where the tasks may run are woken.
    public func tasksArrived(_ kind: TaskKind, count: Int) {
        let woken = state.withLock { $0.wake(kind, count: count) }
        for resumption in woken { resumption(.woken) }
    }

    /// Tasks of kinds not known here may have become claimable (handed back by the sweep, or created by another
    /// process while word from it could not arrive): wakes the oldest poll of each kind held in each place.
    public func anythingMayHaveArrived() {
        let woken = state.withLock { $0.wakeOldestOfEachKind() }
        for resumption in woken { resumption(.woken) }
    }

    private func hungUp(_ ticket: Ticket) {
        let resumption = state.withLock { $0.end(ticket, .hungUp) }
        resumption?(.hungUp)
    }

    // MARK: Deadlines

    /// Sets the one timer to the earliest deadline of a held poll, when it is not set earlier already.
    private func reschedule(_ state: inout State) {
        guard let earliest = state.earliestDeadline() else {
            state.timer?.task.cancel()
            state.timer = nil
            return
        }
        // Deadlines less than a coalescing window apart end together, late by at most that window: thousands of
        // agents polling again at once each end at their own instant, and a timer for each would wake afm hundreds
        // of times a second.
        let due = earliest.advanced(by: Self.coalescingWindow)
        if let timer = state.timer, timer.at <= due { return }
        state.timer?.task.cancel()
        let task = Task { [self] in
            try? await Task.sleep(until: due, clock: .continuous)
            if !Task.isCancelled { self.deadlinesPassed() }
        }
        state.timer = (task, due)
    }

    private func deadlinesPassed() {
        let ended = state.withLock { state -> [Resumption] in
            state.timer = nil
            defer { reschedule(&state) }
            return state.endDue(at: .now)
        }
        for resumption in ended { resumption(.deadline) }
    }

    // MARK: Stopping

    /// Waits for the graceful shutdown, then answers every held poll and holds none after.
    public func run() async throws {
        try? await gracefulShutdown()
        release()
    }

    /// Answers every held poll (empty) and holds none from now on.
    public func release() {
        let released = state.withLock { state -> [Resumption] in
            state.timer?.task.cancel()
            state.timer = nil
            return state.releaseAll()
        }
        for resumption in released { resumption(.released) }
        events.heldPolls(0)
    }
}
