import FleetModel
import FleetStore
import Logging
import ServiceLifecycle

/// Expires unclaimed tasks past their time to live, takes tasks back from lost agents and from runs past
/// `TASK_RUN_TIMEOUT`, every `sweepInterval`; and refreshes the fleet gauges. Each sweep is a few indexed
/// statements; several `afm` processes sweeping one database do no harm.
public struct Sweeper: Service {
    let queue: any TaskQueue
    let overview: FleetOverview
    let clock: any FleetClock
    let policy: FleetPolicy
    let events: any FleetEvents
    let wakeups: TaskWakeups
    let logger: Logger

    public func run() async throws {
        // Waits first: a sweep right at start would find nothing due.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: policy.sweepInterval)
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            await sweepOnce()
        }
    }

    public func sweepOnce() async {
        let now = clock.now()
        do {
            let report = try await queue.sweep(
                at: now, agentSeenSince: now.adding(seconds: -policy.agentActiveThreshold),
                claimedBefore: policy.taskRunTimeout.map { now.adding(seconds: -$0) }, maxAttempts: policy.taskMaxAttempts)
            events.tasks(.expired, count: report.expired)
            events.tasks(.handedBack, count: report.handedBack)
            events.tasks(.lost, count: report.lost)
            if report.handedBack > 0 { wakeups.tasksHandedBack() }
            let status = try await overview.status()
            events.fleet(activeAgents: status.activeAgents, waitingTasks: status.waitingTasks)
            if report.expired + report.handedBack + report.lost > 0 {
                logger.info(
                    "sweep", metadata: ["expired": "\(report.expired)", "handed_back": "\(report.handedBack)", "lost": "\(report.lost)"])
            }
        } catch {
            logger.warning("sweep failed: \(error)")
        }
    }
}
