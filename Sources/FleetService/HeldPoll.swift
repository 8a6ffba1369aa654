import FleetModel
import Synchronization

/// A poll whose first claim found nothing and that may wait for a task: `answer()` waits and claims again.
///
/// It leaves the held polls exactly once: when answered, or, should nobody ask for its answer (the request was
/// dropped), when it is released.
public final class HeldPoll: Sendable {
    let ticket: HeldPolls.Ticket
    let poll: AgentPoll
    let appliedWait: Int
    let hangUp: HangUp?
    private let service: TaskService
    private let hasLeft = Atomic(false)

    init(ticket: HeldPolls.Ticket, poll: AgentPoll, appliedWait: Int, hangUp: HangUp?, service: TaskService) {
        self.ticket = ticket
        self.poll = poll
        self.appliedWait = appliedWait
        self.hangUp = hangUp
        self.service = service
    }

    /// Waits until a task arrives (and is claimed), the wait is over, the agent hangs up or the server stops.
    public func answer() async throws -> TaskService.PollAnswer {
        try await service.answer(self)
    }

    func leave(claimedAll: Bool) {
        guard !hasLeft.exchange(true, ordering: .relaxed) else { return }
        service.wakeups.held.leave(ticket, claimedAll: claimedAll)
    }

    deinit {
        leave(claimedAll: false)
    }
}
