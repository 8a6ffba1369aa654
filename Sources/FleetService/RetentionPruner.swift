import FleetModel
import FleetStore
import Logging
import ServiceLifecycle

/// Deletes what is past its retention (`RESULT_RETENTION_DAYS`, `ROLLUP_RETENTION_DAYS`) in small batches, a
/// minute apart, and a moment apart while batches come back full, so that pruning a backlog never holds a lock for
/// long nor starves requests.
public struct RetentionPruner: Service {
    let book: any ServiceLevelBook
    let clock: any FleetClock
    let policy: FleetPolicy
    let logger: Logger
    static let batch = 1000
    static let interval = Duration.seconds(60)

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // The wait ends at shutdown: a minute's sleep must not hold the process open.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
            var full = true
            while full && !Task.isCancelled && !Task.isShuttingDownGracefully {
                let deleted = await pruneOnce()
                full = deleted >= Self.batch
                if full { try? await Task.sleep(for: .milliseconds(100)) }
            }
        }
    }

    /// One batch of each kind; answers how many rows went.
    @discardableResult
    public func pruneOnce() async -> Int {
        let now = clock.now()
        do {
            let deleted = try await book.prune(
                resultsBefore: now.adding(seconds: -Double(policy.resultRetentionDays) * 86_400),
                rollupsBefore: now.adding(seconds: -Double(policy.rollupRetentionDays) * 86_400), limit: Self.batch)
            if deleted > 0 { logger.info("pruned", metadata: ["rows": "\(deleted)"]) }
            return deleted
        } catch {
            logger.warning("prune failed: \(error)")
            return 0
        }
    }
}
