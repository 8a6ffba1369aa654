import Logging
import ServiceLifecycle

/// Sends the outbox to the AFM: oldest first, each result removed once the AFM has answered it. 5xx and connection
/// errors are retried with capped exponential backoff for as long as it takes; a 4xx means the AFM refuses that
/// result (unknown task, already finished), which is logged and dropped.
///
/// Results come from the runner in memory (`submit`, after they are stored in the outbox); the outbox folder is read
/// only for what an earlier run left, and after more than `queueLimit` results piled up while the AFM was away.
/// Asked to stop, it keeps delivering until the grace period ends.
public actor ResultUploader: Service {
    private let outbox: ResultOutbox
    private let client: any AFMConnection
    private let grace: GracePeriod
    private let logger: Logger
    private let wakeUp = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    /// The results to deliver, oldest first, and their task ids.
    private var queue: [PendingResult] = []
    private var queued: Set<String> = []
    /// The outbox may hold results the queue does not: at start, and after the queue overflowed.
    private var outboxUnread = true

    static let firstRetryDelay: Duration = .seconds(1)
    static let maximumRetryDelay: Duration = .seconds(60)
    /// Results kept in memory at most; the outbox holds the rest.
    static let queueLimit = 10_000

    public init(outbox: ResultOutbox, client: any AFMConnection, grace: GracePeriod, logger: Logger) {
        self.outbox = outbox
        self.client = client
        self.grace = grace
        self.logger = logger
    }

    /// Takes a result already stored in the outbox, to deliver after those before it.
    public func submit(_ result: PendingResult) {
        if queue.count >= Self.queueLimit {
            outboxUnread = true
        } else if queued.insert(result.taskID).inserted {
            queue.append(result)
        }
        wakeUp.continuation.yield()
    }

    /// Results were added to the outbox without `submit` (the reports of tasks an earlier run left): the next pass
    /// reads the folder.
    public func outboxChanged() {
        outboxUnread = true
        wakeUp.continuation.yield()
    }

    public enum PassOutcome: Sendable {
        case empty
        case blocked(AFMClient.Failure)
    }

    /// Delivers everything waiting once; stops at the first temporary failure.
    public func uploadPending() async -> PassOutcome {
        if outboxUnread {
            do {
                let pending = try outbox.pending()
                queue = Array(pending.prefix(Self.queueLimit))
                queued = Set(queue.map(\.taskID))
                outboxUnread = pending.count > Self.queueLimit
            } catch {
                logger.error("cannot read the outbox \(outbox.directory): \(error)")
                return .blocked(.temporary("cannot read the outbox"))
            }
        }
        while let result = queue.first {
            do {
                try await client.postResult(result)
                logger.info("result for task \(result.taskID) delivered")
            } catch .refused(let status, let message) {
                logger.error("the AFM refused the result for task \(result.taskID) (HTTP \(status): \(message)); dropping it")
            } catch {
                return .blocked(error)
            }
            do {
                try outbox.remove(taskID: result.taskID)
            } catch {
                logger.error("cannot remove the delivered result \(result.taskID) from the outbox: \(error)")
            }
            queue.removeFirst()
            queued.remove(result.taskID)
            if queue.isEmpty && outboxUnread { return await uploadPending() }
        }
        return .empty
    }

    /// Delivers whenever a result comes, retrying with backoff while the AFM is unreachable; asked to stop, goes on
    /// until everything is delivered or the grace period ends.
    public func run() async {
        await withGracefulShutdownHandler {
            await self.deliverUntilStopped()
        } onGracefulShutdown: {
            self.wakeUp.continuation.finish()
        }
        await deliverWithinGrace()
    }

    private func deliverUntilStopped() async {
        var delay = Self.firstRetryDelay
        var wakeUps = wakeUp.stream.makeAsyncIterator()
        while true {
            switch await uploadPending() {
            case .empty:
                delay = Self.firstRetryDelay
                guard await wakeUps.next() != nil else { return }
            case .blocked(let failure):
                logger.warning("results wait in the outbox; retrying in \(delay): \(failure)")
                // Results submitted meanwhile wait for the retry (they would only meet the same failure); a stop
                // request ends the wait at once.
                try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                delay = min(delay * 2, Self.maximumRetryDelay)
            }
        }
    }

    private func deliverWithinGrace() async {
        let deadline = grace.deadline()
        while case .blocked(let failure) = await uploadPending() {
            guard ContinuousClock.now.advanced(by: Self.firstRetryDelay) < deadline else {
                logger.warning("stopping with results undelivered: \(failure)")
                return
            }
            try? await Task.sleep(for: Self.firstRetryDelay)
        }
    }

    /// Whether every result submitted or left in the outbox has been answered.
    public var isDelivered: Bool { queue.isEmpty && !outboxUnread }
}
