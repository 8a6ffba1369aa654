import FleetModel
import Synchronization

/// A poll whose first claim found nothing and that may wait for a task: `answer()` waits and claims again, or
/// `whenReady` waits without a task and `answer()` then claims.
///
/// It leaves the held polls exactly once: when answered, or, should nobody ask for its answer (the request was
/// dropped), when it is released.
public final class HeldPoll: Sendable {
    let ticket: HeldPolls.Ticket
    let poll: AgentPoll
    let appliedWait: Int
    let hangUp: (any HangUp)?
    private let service: TaskService
    private let hasLeft = Atomic(false)
    /// How the wait `whenReady` watched ended, for `answer()` to go on from.
    private let readyEnding = Mutex<HeldPolls.Ending?>(nil)

    init(ticket: HeldPolls.Ticket, poll: AgentPoll, appliedWait: Int, hangUp: (any HangUp)?, service: TaskService) {
        self.ticket = ticket
        self.poll = poll
        self.appliedWait = appliedWait
        self.hangUp = hangUp
        self.service = service
    }

    /// Waits until a task arrives (and is claimed), the wait is over, the agent hangs up or the server stops.
    public func answer() async throws -> TaskService.PollAnswer {
        try await service.answer(self, firstEnding: readyEnding.withLock { $0.take() })
    }

    /// Calls `ready` once the poll has something to do (a task may have arrived, its wait is over, its agent hung up,
    /// the server stops), with no task waiting meanwhile; `answer()` then starts from there.
    public func whenReady(_ ready: @escaping @Sendable () -> Void) {
        service.wakeups.held.whenSettled(ticket, hangUp: hangUp) { [self] ending in
            readyEnding.withLock { $0 = ending }
            ready()
        }
    }

    func leave(claimedAll: Bool) {
        guard !hasLeft.exchange(true, ordering: .relaxed) else { return }
        service.wakeups.held.leave(ticket, claimedAll: claimedAll)
    }

    deinit {
        leave(claimedAll: false)
    }
}
