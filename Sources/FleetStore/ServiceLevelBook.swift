import FleetModel
import Foundation
import JSON

/// The service levels of schedules: each ended run judged once, counted into per-minute, per-hour and per-day roll-ups, and
/// the incidents of schedules with an alert, however many `afm` processes count at once.
public protocol ServiceLevelBook: Sendable {
    /// One transaction: judges up to `limit` ended tasks not judged yet (those of schedules, and those with a success
    /// rule) with `judge`, counts them and up to a few runs of missed slots into the roll-ups, advances the incidents
    /// of the schedules they belong to, and queues the webhook deliveries of what opened or resolved.
    func countRuns(at now: Timestamp, limit: Int, judge: RunJudge) async throws -> RunCountPass
    /// Adds `rows` to the schedule's roll-ups at `level`, as a counting pass does: for importing history (the summary
    /// benchmark seeds a year through it).
    func addRollups(_ rows: [RollupRow], ofSchedule name: String, level: RollupLevel) async throws
    /// The roll-ups of one schedule at one level whose buckets start in [from, to).
    func rollups(ofSchedule name: String, level: RollupLevel, from: Timestamp, to: Timestamp) async throws -> [RollupRow]
    /// Incidents, open ones first, then by start, newest first; of one schedule when `schedule` is given.
    func incidents(ofSchedule schedule: String?, limit: Int) async throws -> [IncidentRecord]
    /// Deletes, at most `limit` rows of each kind: judged schedule tasks that ended before `results`, minute roll-ups
    /// and counted misses before `results`, hour and day roll-ups before `rollups`, and settled webhook deliveries before
    /// `results`. Answers how many rows went.
    func prune(resultsBefore results: Timestamp, rollupsBefore rollups: Timestamp, limit: Int) async throws -> Int
}

/// What one counting pass did.
public struct RunCountPass: Sendable {
    public var judged = 0
    public var missedRunsCounted = 0
    public var changes: [(schedule: String, change: IncidentChange)] = []
    /// The pass stopped at its limit: more may be waiting.
    public var more = false

    public init() {}
}

/// The roll-up resolutions, by their length in seconds: a summary reads whole days from day roll-ups, the hours
/// at its edges from hour roll-ups and the minutes at its very edges from minute roll-ups.
public enum RollupLevel: Int, Sendable, CaseIterable {
    case minute = 60
    case hour = 3600
    case day = 86_400

    public var seconds: Int64 { Int64(rawValue) }

    /// The start of the bucket that holds `time`.
    public func bucket(of time: Timestamp) -> Timestamp {
        let length = seconds * 1_000_000
        let micros = time.microsecondsSinceEpoch
        return Timestamp(microsecondsSinceEpoch: micros - ((micros % length) + length) % length)
    }
}

/// One roll-up: a schedule's runs in one place ("" for a schedule without locations) in one bucket.
public struct RollupRow: Sendable, Equatable {
    public let location: String
    public let bucket: Timestamp
    public var tally: RunTally

    public init(location: String, bucket: Timestamp, tally: RunTally) {
        self.location = location
        self.bucket = bucket
        self.tally = tally
    }
}
