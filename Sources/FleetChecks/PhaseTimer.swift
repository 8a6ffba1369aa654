import JSON

/// The phases of one check, each the time between two marks of a monotonic clock, so that they add up to the time
/// from the first mark to the last (`measured`). A phase met again (a redirect's next hop) adds to its time. A
/// phase not reached is left out.
struct PhaseTimer: Sendable {
    private let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    private var last: ContinuousClock.Instant
    private(set) var phases: [(name: String, seconds: Double)] = []

    init() {
        start = clock.now
        last = start
    }

    /// Ends the phase `name` now (or at `instant`, when an event loop stamped it earlier).
    mutating func end(_ name: String, at instant: ContinuousClock.Instant? = nil) {
        // A stamp from before the last mark (not so by construction) counts as no time, so that phases stay sums.
        let now = max(instant ?? clock.now, last)
        add(name, Seconds.of(last.duration(to: now)))
        last = now
    }

    private mutating func add(_ name: String, _ seconds: Double) {
        if let index = phases.firstIndex(where: { $0.name == name }) {
            phases[index].seconds += seconds
        } else {
            phases.append((name, seconds))
        }
    }

    /// A phase that took no time (a host given as an address needs no lookup).
    mutating func skip(_ name: String) {
        add(name, 0)
    }

    var elapsed: Double { Seconds.of(start.duration(to: clock.now)) }
    /// From the start to the last mark: what the phases add up to.
    var measured: Double { Seconds.of(start.duration(to: last)) }
    var now: ContinuousClock.Instant { clock.now }

    var json: JSONValue {
        .object(Dictionary(phases.map { ($0.name, Seconds.json($0.seconds)) }, uniquingKeysWith: { first, _ in first }))
    }
}
