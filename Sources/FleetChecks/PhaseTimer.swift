import JSON

/// The phases of one check, each the time between two marks of a monotonic clock, so that they add up to the time
/// from the first mark to the last. A phase not reached is left out.
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
        let now = instant ?? clock.now
        phases.append((name, Seconds.of(last.duration(to: now))))
        last = now
    }

    /// A phase that took no time (a host given as an address needs no lookup).
    mutating func skip(_ name: String) {
        phases.append((name, 0))
    }

    var elapsed: Double { Seconds.of(start.duration(to: clock.now)) }
    var now: ContinuousClock.Instant { clock.now }

    /// Adds another timer's phases (a redirect's hop) to these, phase by phase.
    mutating func absorb(_ other: PhaseTimer) {
        for phase in other.phases {
            if let index = phases.firstIndex(where: { $0.name == phase.name }) {
                phases[index].seconds += phase.seconds
            } else {
                phases.append(phase)
            }
        }
    }

    var json: JSONValue {
        .object(Dictionary(phases.map { ($0.name, Seconds.json($0.seconds)) }, uniquingKeysWith: { first, _ in first }))
    }
}
