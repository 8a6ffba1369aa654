import FleetModel
import FleetStore
import Logging
import ServiceLifecycle

/// Judges ended runs and counts them into the roll-ups and incidents (`ServiceLevelBook.countRuns`), every
/// `countInterval`, and at once again while a pass finds more; a service of every `afm` process, since passes of
/// several processes share the work without counting anything twice.
public struct RunCounter: Service {
    let book: any ServiceLevelBook
    let judge: RunJudge
    let clock: any FleetClock
    let policy: FleetPolicy
    let logger: Logger
    /// Ended tasks judged in one transaction at most.
    static let batch = 500

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let more = await countOnce()
            if !more { try? await Task.sleep(for: policy.countInterval) }
        }
    }

    /// One pass; answers whether more is waiting.
    @discardableResult
    public func countOnce() async -> Bool {
        do {
            let pass = try await book.countRuns(at: clock.now(), limit: Self.batch, judge: judge)
            for (schedule, change) in pass.changes {
                switch change {
                case .opened(let incident):
                    logger.warning(
                        "incident opened",
                        metadata: ["schedule": "\(schedule)", "incident": "\(incident.id.canonical)", "start": "\(incident.start.iso8601Text)",
                                   "failing_locations": "\(incident.failures.keys.sorted().joined(separator: ","))"])
                case .widened(let incident):
                    logger.info(
                        "incident widened",
                        metadata: ["schedule": "\(schedule)", "incident": "\(incident.id.canonical)",
                                   "failing_locations": "\(incident.failures.keys.sorted().joined(separator: ","))"])
                case .resolved(let incident, let end):
                    logger.info(
                        "incident resolved",
                        metadata: ["schedule": "\(schedule)", "incident": "\(incident.id.canonical)", "end": "\(end.iso8601Text)"])
                }
            }
            return pass.more
        } catch {
            logger.warning("run count failed: \(error)")
            return false
        }
    }
}
