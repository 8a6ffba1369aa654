import FleetModel
import FleetStore
import JSON

/// Service levels as the BPMS reads them: a schedule's runs summed over a window from its roll-ups, per location
/// and overall, in steps; and incidents.
public struct ServiceLevelService: Sendable {
    let book: any ServiceLevelBook
    let schedules: any ScheduleBook
    let clock: any FleetClock
    let policy: FleetPolicy

    /// How a summary divides its window.
    public enum Step: String, Sendable, CaseIterable {
        case none, hour, day

        var seconds: Int64? {
            switch self {
            case .none: nil
            case .hour: 3600
            case .day: 86_400
            }
        }
    }

    /// One part of a summary's window and what its runs came to.
    public struct Window: Sendable {
        public let start: Timestamp
        public let end: Timestamp
        /// Per location ("" for a schedule without locations), in code order.
        public let locations: [(location: String, tally: RunTally)]
        public let overall: RunTally
    }

    public struct Summary: Sendable {
        public let schedule: String
        /// The window as counted: whole minutes, or whole hours where minute roll-ups are no longer kept.
        public let from: Timestamp
        public let to: Timestamp
        public let windows: [Window]
    }

    /// The longest window a summary covers: the hour roll-ups' retention.
    public var longestWindowSeconds: Double { Double(policy.rollupRetentionDays) * 86_400 }

    /// Nil when there is no such schedule. The window grows to whole minutes (`from` down, `to` up), and to whole
    /// hours at an edge that lies before the minute roll-ups' retention; runs count by their slot's time.
    public func summary(of name: String, from: Timestamp, to: Timestamp, step: Step) async throws -> Summary? {
        guard try await schedules.schedule(named: name) != nil else { return nil }
        let horizon = clock.now().adding(seconds: -Double(policy.resultRetentionDays) * 86_400)
        func down(_ time: Timestamp) -> Timestamp {
            (time < horizon ? RollupLevel.hour : RollupLevel.minute).bucket(of: time)
        }
        func up(_ time: Timestamp) -> Timestamp {
            let level: RollupLevel = time < horizon ? .hour : .minute
            let bucket = level.bucket(of: time)
            return bucket == time ? time : bucket.adding(seconds: Double(level.seconds))
        }
        let start = down(from)
        let end = max(start, up(to))
        let rows = try await rollups(of: name, from: start, to: end, levels: RollupLevel.allCases.reversed())
        return Summary(schedule: name, from: start, to: end, windows: Self.windows(of: rows, from: start, to: end, step: step))
    }

    /// The roll-ups that cover [start, end) exactly: whole buckets of the coarsest level, and the edges from the finer
    /// ones (`levels` coarsest first).
    private func rollups(of name: String, from start: Timestamp, to end: Timestamp, levels: [RollupLevel]) async throws -> [RollupRow] {
        guard start < end, let level = levels.first else { return [] }
        let finer = Array(levels.dropFirst())
        guard !finer.isEmpty else { return try await book.rollups(ofSchedule: name, level: level, from: start, to: end) }
        let firstWhole = level.bucket(of: start) == start ? start : level.bucket(of: start).adding(seconds: Double(level.seconds))
        let lastWhole = level.bucket(of: end)
        guard firstWhole < lastWhole else { return try await rollups(of: name, from: start, to: end, levels: finer) }
        return try await rollups(of: name, from: start, to: firstWhole, levels: finer)
            + book.rollups(ofSchedule: name, level: level, from: firstWhole, to: lastWhole)
            + rollups(of: name, from: lastWhole, to: end, levels: finer)
    }

    static func windows(of rows: [RollupRow], from start: Timestamp, to end: Timestamp, step: Step) -> [Window] {
        var parts: [Timestamp: [String: RunTally]] = [:]
        func part(of time: Timestamp) -> Timestamp {
            guard let seconds = step.seconds else { return start }
            let length = seconds * 1_000_000
            let micros = time.microsecondsSinceEpoch
            return max(start, Timestamp(microsecondsSinceEpoch: micros - ((micros % length) + length) % length))
        }
        for row in rows { parts[part(of: row.bucket), default: [:]][row.location, default: RunTally()].merge(row.tally) }
        if step == .none && parts.isEmpty { parts[start] = [:] }
        let starts = parts.keys.sorted()
        return starts.map { windowStart in
            var windowEnd = end
            if let seconds = step.seconds {
                let length = seconds * 1_000_000
                let micros = windowStart.microsecondsSinceEpoch
                let boundary = Timestamp(microsecondsSinceEpoch: micros - ((micros % length) + length) % length + length)
                windowEnd = min(end, boundary)
            }
            let places = parts[windowStart] ?? [:]
            var overall = RunTally()
            for tally in places.values { overall.merge(tally) }
            return Window(
                start: windowStart, end: windowEnd, locations: places.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, overall: overall)
        }
    }

    public func incidents(ofSchedule name: String?, limit: Int) async throws -> [IncidentRecord] {
        try await book.incidents(ofSchedule: name, limit: limit)
    }
}
