import FleetModel
import FleetStore

/// Who learns that tasks became claimable: the polls held in this process, at once, and the other `afm` processes
/// sharing the store, through its notifications; and what this process does with their word.
public struct TaskWakeups: Sendable {
    public let held: HeldPolls
    let notifications: any TaskNotifications
    /// Makes the idle-poll shortcut, if there is one, ask the store again: it only knows this process's tasks.
    let forgetEmptyClaims: @Sendable () -> Void

    public init(held: HeldPolls, notifications: any TaskNotifications, forgetEmptyClaims: @escaping @Sendable () -> Void = {}) {
        self.held = held
        self.notifications = notifications
        self.forgetEmptyClaims = forgetEmptyClaims
    }

    /// Called after the tasks' insert has committed. Empty claims remembered here are forgotten before any poll is
    /// woken: tasks made by the schedule runner reach the store without passing the shortcut, and a woken poll
    /// answered from its memory would leave them to expire.
    func tasksCreated(_ kind: TaskKind, count: Int) {
        forgetEmptyClaims()
        held.tasksArrived(kind, count: count)
        notifications.announce(.tasks(kind, count: count))
    }

    func tasksHandedBack() {
        forgetEmptyClaims()
        held.anythingMayHaveArrived()
        notifications.announce(.unknown)
    }

    /// Wakes this process's held polls with the other processes' word.
    public func listen() {
        let held = held
        let forgetEmptyClaims = forgetEmptyClaims
        notifications.onArrival { arrival in
            forgetEmptyClaims()
            switch arrival {
            case .tasks(let kind, let count): held.tasksArrived(kind, count: count)
            case .unknown: held.anythingMayHaveArrived()
            }
        }
    }
}
