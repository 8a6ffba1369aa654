/// What a set of runs came to: the counts a service-level summary and a roll-up hold.
public struct RunTally: Sendable, Equatable {
    public var up: Int64 = 0
    public var down: [DownReason: Int64] = [:]
    public var durations = DurationHistogram()

    public init() {}

    /// Up and down runs; missed slots are down runs.
    public var runs: Int64 { up + downCount }
    public var downCount: Int64 { down.values.reduce(0, +) }
    public var missed: Int64 { down[.missed] ?? 0 }

    /// Up runs over all runs; nil when there were none.
    public var uptime: Double? { runs == 0 ? nil : Double(up) / Double(runs) }

    public mutating func count(_ verdict: RunVerdict) {
        switch verdict {
        case .up(let seconds):
            up += 1
            if let seconds { durations.add(seconds: seconds) }
        case .down(let reason, _, let seconds):
            down[reason, default: 0] += 1
            if let seconds { durations.add(seconds: seconds) }
        case .withdrawn:
            break
        }
    }

    public mutating func countMissed(_ slots: Int64) {
        guard slots > 0 else { return }
        down[.missed, default: 0] += slots
    }

    public mutating func merge(_ other: RunTally) {
        up += other.up
        for (reason, count) in other.down { down[reason, default: 0] += count }
        durations.merge(other.durations)
    }
}
