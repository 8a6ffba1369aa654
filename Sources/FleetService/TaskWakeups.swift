import FleetModel
import FleetStore

/// Who learns that tasks became claimable: the polls held in this process, at once, and the other `afm` processes
/// sharing the store, through its notifications; and what this process does with their word.
public struct TaskWakeups: Sendable {
    public let held: HeldPolls
    let notifications: any TaskNotifications
    /// The idle-poll shortcut, when polls go through one: told to ask the store again, as it only knows this
    /// process's tasks.
    let shortcut: IdlePollShortcut?

    public init(held: HeldPolls, notifications: any TaskNotifications, shortcut: IdlePollShortcut? = nil) {
        self.held = held
        self.notifications = notifications
        self.shortcut = shortcut
    }

    /// Called after the tasks' insert has committed. Empty claims remembered here are forgotten before any poll is
    /// woken: tasks made by the schedule runner reach the store without passing the shortcut, and a woken poll
    /// answered from its memory would leave them to expire.
    func tasksCreated(_ kind: TaskKind, count: Int) {
        shortcut?.tasksMayBeClaimable()
        held.tasksArrived(kind, count: count)
        notifications.announce(.tasks(kind, count: count))
    }

    func tasksHandedBack() {
        shortcut?.tasksMayBeClaimable()
        held.anythingMayHaveArrived()
        notifications.announce(.unknown)
    }

    /// Wakes this process's held polls with the other processes' word.
    public func listen() {
        let (held, shortcut) = (held, shortcut)
        notifications.onArrival { arrival in
            shortcut?.tasksMayBeClaimable()
            switch arrival {
            case .tasks(let kind, let count): held.tasksArrived(kind, count: count)
            case .unknown: held.anythingMayHaveArrived()
            }
        }
    }
}
