import FleetService
import FleetTestSupport
import JSON
import Synchronization

/// A clock the test moves: the domain's time without sleeping.
final class ManualClock: FleetClock {
    private let current = Mutex(Sample.time(0))

    func now() -> Timestamp { current.withLock { $0 } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }
}
