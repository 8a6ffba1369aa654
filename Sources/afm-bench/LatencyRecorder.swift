import Synchronization

/// Latencies of one kind of request, and the summary the benchmark prints.
final class LatencyRecorder: Sendable {
    private let samples = Mutex<[Duration]>([])

    func record(_ duration: Duration) {
        samples.withLock { $0.append(duration) }
    }

    struct Summary: Sendable {
        let count: Int
        let p50: Double
        let p99: Double
        let max: Double
    }

    /// Milliseconds.
    func summary() -> Summary {
        let sorted = samples.withLock { $0 }.sorted()
        func milliseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
        guard !sorted.isEmpty else { return Summary(count: 0, p50: 0, p99: 0, max: 0) }
        func percentile(_ fraction: Double) -> Double {
            milliseconds(sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))])
        }
        return Summary(count: sorted.count, p50: percentile(0.5), p99: percentile(0.99), max: milliseconds(sorted.last!))
    }
}

/// Counts by key (errors by status).
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func add(_ key: String) {
        counts.withLock { $0[key, default: 0] += 1 }
    }

    var all: [String: Int] { counts.withLock { $0 } }
}
