import FleetModel
import FleetStore
import Logging
import ServiceLifecycle

/// Expires unclaimed tasks past their time to live and takes tasks back from lost agents, every `interval`.
/// Each sweep is a few indexed statements; several `afm` processes sweeping one database do no harm.
struct Sweeper: Service {
    let store: any TaskStore
    let settings: ServerSettings
    let metrics: FleetMetrics
    let logger: Logger

    func run() async throws {
        // Waits first: a sweep right at start would find nothing due.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: settings.sweepInterval)
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            await sweepOnce()
        }
    }

    func sweepOnce() async {
        let now = Timestamp.now()
        do {
            let report = try await store.sweep(
                at: now, agentSeenSince: now.adding(seconds: -settings.agentActiveThreshold),
                claimedBefore: settings.taskRunTimeout.map { now.adding(seconds: -$0) }, maxAttempts: settings.taskMaxAttempts)
            metrics.tasks("expired", count: report.expired)
            metrics.tasks("handed_back", count: report.handedBack)
            metrics.tasks("lost", count: report.lost)
            let status = try await store.status(activeSince: now.adding(seconds: -settings.agentActiveThreshold))
            metrics.fleet(activeAgents: status.activeAgents, waitingTasks: status.waitingTasks)
            if report.expired + report.handedBack + report.lost > 0 {
                logger.info(
                    "sweep", metadata: ["expired": "\(report.expired)", "handed_back": "\(report.handedBack)", "lost": "\(report.lost)"])
            }
        } catch {
            logger.warning("sweep failed: \(error)")
        }
    }
}
