import Synchronization

/// The time running tasks and undelivered results get once the agent is asked to stop, counted from the moment
/// the first of them learns of it; the runner and the uploader share it, so that together they take no longer.
public final class GracePeriod: Sendable {
    public let duration: Duration
    private let end = Mutex<ContinuousClock.Instant?>(nil)

    public init(_ duration: Duration) {
        self.duration = duration
    }

    /// The end of the grace period, which starts now if it has not started yet.
    public func deadline() -> ContinuousClock.Instant {
        end.withLock { end in
            if let end { return end }
            let started = ContinuousClock.now.advanced(by: duration)
            end = started
            return started
        }
    }
}
