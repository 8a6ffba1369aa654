import FleetModel
import FleetStore
import JSON
import Logging
import ServiceLifecycle

/// Makes the tasks of due schedule slots, in every `afm` process: the store shares the due schedules out between
/// processes and keeps each (schedule, slot, location) to one task, so no process leads and any may stop.
///
/// It sleeps until the earliest slot any schedule waits for (at most `longestSleep`, so that schedules saved
/// through other processes are seen), or until a schedule is saved here.
public struct ScheduleRunner: Service {
    let book: any ScheduleBook
    let clock: any FleetClock
    let events: any FleetEvents
    let wakeups: TaskWakeups
    let logger: Logger
    let changes: ScheduleChanges

    /// What one pass does at most (200 schedules, 2,000 tasks, the 10 newest slots of a schedule); a pass that
    /// reached a limit is followed by another at once.
    static let passLimits = SlotPassLimits(schedules: 200, tasks: 2_000, catchUp: 10)
    static let longestSleep = Duration.seconds(1)
    /// The least time between passes, so that slots due close together are made together.
    static let shortestSleep = Duration.milliseconds(10)
    /// After a failed pass (the store unreachable), before trying again.
    static let afterFailure = Duration.seconds(1)

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let pause: Duration
                do {
                    pause = try await passOnce()
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("schedule pass failed: \(error)")
                    pause = Self.afterFailure
                }
                if pause > .zero { await changes.sleep(for: pause) }
            }
        }
    }

    /// One pass; answers how long to wait before the next.
    @discardableResult
    public func passOnce() async throws -> Duration {
        let now = clock.now()
        let pass = try await book.createDueSlots(at: now, limits: Self.passLimits)
        var arrived: [TaskKind: Int] = [:]
        for created in pass.created {
            events.slotCreated(lagSeconds: created.slot.seconds(until: now))
            for kind in created.kinds { arrived[kind, default: 0] += 1 }
        }
        events.tasks(.created, count: arrived.values.reduce(0, +))
        // One word per kind of task for the pass, as a batch of creates gives.
        for (kind, count) in arrived { wakeups.tasksCreated(kind, count: count) }
        for (schedule, missed) in pass.missed {
            events.slotsMissed(Int(missed.count))
            logger.warning(
                "schedule slots missed",
                metadata: ["schedule": "\(schedule)", "first_slot": "\(missed.first.iso8601Text)", "slots": "\(missed.count)"])
        }
        if pass.reachedLimit { return .zero }
        guard let nextDue = pass.nextDue else { return Self.longestSleep }
        // From the end of this pass, not its start: a slow pass must not push the next slot back by its own length.
        let untilDue = Duration.microseconds(max(0, clock.now().seconds(until: nextDue) * 1_000_000).rounded())
        // A schedule due now that this pass did not get is being worked on by another process: look again shortly.
        return min(Self.longestSleep, max(Self.shortestSleep, untilDue))
    }
}
