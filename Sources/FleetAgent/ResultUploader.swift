import Logging

/// Sends the outbox to the AFM: oldest first, each result removed once the AFM has answered it. 5xx and connection
/// errors are retried with capped exponential backoff for as long as it takes; a 4xx means the AFM refuses that
/// result (unknown task, already finished), which is logged and dropped.
public actor ResultUploader {
    private let outbox: ResultOutbox
    private let client: any AFMConnection
    private let logger: Logger
    private let wakeUp = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private var isIdle = false

    static let firstRetryDelay: Duration = .seconds(1)
    static let maximumRetryDelay: Duration = .seconds(60)

    public init(outbox: ResultOutbox, client: any AFMConnection, logger: Logger) {
        self.outbox = outbox
        self.client = client
        self.logger = logger
    }

    /// Tells the uploader that a new result is in the outbox.
    public nonisolated func notify() {
        wakeUp.continuation.yield()
    }

    public enum PassOutcome: Sendable {
        case empty
        case blocked(AFMClient.Failure)
    }

    /// Uploads everything in the outbox once; stops at the first temporary failure.
    public func uploadPending() async -> PassOutcome {
        let pending: [PendingResult]
        do {
            pending = try outbox.pending()
        } catch {
            logger.error("cannot read the outbox \(outbox.directory): \(error)")
            return .blocked(.temporary("cannot read the outbox"))
        }
        for result in pending {
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
        }
        return .empty
    }

    /// Runs until cancelled: uploads whenever notified, retrying with backoff while the AFM is unreachable.
    public func run() async {
        var delay = Self.firstRetryDelay
        var notifications = wakeUp.stream.makeAsyncIterator()
        while !Task.isCancelled {
            switch await uploadPending() {
            case .empty:
                delay = Self.firstRetryDelay
                isIdle = true
                guard await notifications.next() != nil else { return }
                isIdle = false
            case .blocked(let failure):
                logger.warning("results wait in the outbox; retrying in \(delay): \(failure)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maximumRetryDelay)
            }
        }
    }

    /// Waits until the outbox is empty, up to `deadline`; answers whether it emptied.
    public func waitUntilDelivered(before deadline: ContinuousClock.Instant) async -> Bool {
        while ContinuousClock.now < deadline {
            if isIdle, (try? outbox.pending().isEmpty) ?? false { return true }
            try? await Task.sleep(for: .milliseconds(100))
            if Task.isCancelled { return false }
        }
        return false
    }

    /// Lets `run` end.
    public nonisolated func finish() {
        wakeUp.continuation.finish()
    }
}
