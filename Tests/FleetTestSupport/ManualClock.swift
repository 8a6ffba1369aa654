import FleetService
import JSON
import Synchronization

/// A clock the test moves: the domain's time without sleeping.
public final class ManualClock: FleetClock {
    private let current: Mutex<Timestamp>

    public init(at start: Timestamp = Sample.time(0)) {
        current = Mutex(start)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    public func advance(seconds: Double) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }
}
