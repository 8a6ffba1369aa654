import ArgumentParser
import FleetApplication
import FleetModel
import FleetService
import FleetStore
import Foundation
import JSON
import Logging

/// Seeds a year of a 60-second schedule's runs in five locations (about 2.6 million), as the counting pass and the
/// pruner leave them: day and hour roll-ups for every day, minute roll-ups for the days raw results are kept; then times
/// summaries over the whole year through the domain. `benchmarks/summary.sh` times the same over HTTP.
@main
struct SummaryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary-bench", abstract: "Seed a year of schedule runs and time summaries over it (run it release-built).",
        subcommands: [Seed.self, Measure.self])

    static let scheduleName = "year"
    static let locations = ["DE", "FI", "FR", "NL", "SE"]

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the schedule `year` and its roll-ups, ending now.")
        @Option(help: "Database URI (sqlite:///path or postgresql://…).") var database: String
        @Option(help: "Days of history.") var days = 365
        @Option(help: "Days of minute roll-ups (RESULT_RETENTION_DAYS).") var minuteDays = 30

        func run() async throws {
            let store = try await SummaryBench.openStore(database)
            try await withStoreRunning(store) {
                try await store.migrate()
                let now = Timestamp.now()
                _ = try await store.saveSchedule(
                    ScheduleDefinition(
                        name: SummaryBench.scheduleName, testID: UUID(), type: "url_http_status", version: 1, dataJSON: #"{"url":"http://127.0.0.1/"}"#,
                        timing: .every(seconds: 60), locations: SummaryBench.locations.map { LocationCode(text: $0)! }, ttlSeconds: 60,
                        paused: true),
                    firstSlot: now, at: now)
                let end = RollupLevel.hour.bucket(of: now)
                let start = end.adding(seconds: -Double(days) * 86_400)
                let minuteStart = end.adding(seconds: -Double(minuteDays) * 86_400)
                var generator = SeededRuns(seed: 2026)
                let began = ContinuousClock.now
                var runs = 0
                var day = start
                while day < end {
                    var hours: [RollupRow] = []
                    var minutes: [RollupRow] = []
                    for hour in 0..<24 {
                        let hourStart = day.adding(seconds: Double(hour) * 3600)
                        for location in SummaryBench.locations {
                            var hourTally = RunTally()
                            for minute in 0..<60 {
                                var tally = RunTally()
                                tally.count(generator.next())
                                hourTally.merge(tally)
                                if hourStart >= minuteStart {
                                    minutes.append(RollupRow(location: location, bucket: hourStart.adding(seconds: Double(minute) * 60), tally: tally))
                                }
                            }
                            hours.append(RollupRow(location: location, bucket: hourStart, tally: hourTally))
                            runs += 60
                        }
                    }
                    try await store.addRollups(hours, ofSchedule: SummaryBench.scheduleName, level: .hour)
                    // Days start at midnight UTC, as the counting pass buckets them; the seeded days start on the hour.
                    let days = Dictionary(grouping: hours, by: { RollupLevel.day.bucket(of: $0.bucket) }).flatMap { bucket, rows in
                        Dictionary(grouping: rows, by: \.location).map { location, rows in
                            RollupRow(location: location, bucket: bucket, tally: rows.reduce(into: RunTally()) { $0.merge($1.tally) })
                        }
                    }
                    try await store.addRollups(days, ofSchedule: SummaryBench.scheduleName, level: .day)
                    if !minutes.isEmpty { try await store.addRollups(minutes, ofSchedule: SummaryBench.scheduleName, level: .minute) }
                    day = day.adding(seconds: 86_400)
                }
                let seconds = Double((ContinuousClock.now - began).components.seconds)
                print("seeded \(runs) runs over \(days) days (\(days * 5) day, \(days * 24 * 5) hour and \(minuteDays * 1440 * 5) minute roll-ups) on \(store.engine) in \(Int(seconds)) s")
            }
        }
    }

    struct Measure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time summaries of `year` over its whole history.")
        @Option(help: "Database URI.") var database: String
        @Option(help: "Summaries timed.") var repeats = 20
        @Option(help: "Days the window covers.") var days = 365
        @Option(help: "none, hour or day.") var step = "none"

        func run() async throws {
            let store = try await SummaryBench.openStore(database)
            try await withStoreRunning(store) {
                let policy = FleetPolicy()
                let fleet = FleetService(store: store, policy: policy, logger: Logger(label: "summary-bench"))
                let to = Timestamp.now()
                let from = to.adding(seconds: -Double(days) * 86_400)
                guard let step = ServiceLevelService.Step(rawValue: step) else { throw ValidationError("step must be none, hour or day") }
                var timings: [Double] = []
                var runs: Int64 = 0
                for _ in 0..<(repeats + 1) {
                    let began = ContinuousClock.now
                    let summary = try await fleet.serviceLevels.summary(of: SummaryBench.scheduleName, from: from, to: to, step: step)
                    let elapsed = (ContinuousClock.now - began).components
                    timings.append(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15)
                    runs = summary?.windows.reduce(0) { $0 + $1.overall.runs } ?? 0
                }
                // The first call warms the connection and the caches; it is left out.
                let measured = timings.dropFirst().sorted()
                let median = measured[measured.count / 2]
                print(String(
                    format: "summary of %d runs over %d days on %@ (step %@): median %.1f ms, max %.1f ms over %d calls",
                    runs, days, store.engine, step.rawValue, median, measured.last ?? 0, measured.count))
            }
        }
    }

    static func openStore(_ database: String) async throws -> any TaskStore {
        try await TaskStoreFactory.open(try DatabaseURI(parsing: database), logger: Logger(label: "summary-bench"))
    }
}

/// Runs the store's service (the PostgreSQL pool needs it) around `body`.
func withStoreRunning(_ store: any TaskStore, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await store.run() }
        defer { group.cancelAll() }
        try await body()
        try await store.close()
    }
}

/// Runs as a probe that is up 99.5 % of the time sees them: durations log-normal around 120 ms, the downs spread
/// over failed, expired and unsuccessful; the same sequence for the same seed.
struct SeededRuns {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }

    mutating func next() -> RunVerdict {
        let seconds = 0.12 * exp((uniform() + uniform() + uniform() - 1.5) * 1.2)
        let draw = uniform()
        switch draw {
        case ..<0.995: return .up(durationSeconds: seconds)
        case ..<0.997: return .down(.unsuccessful, detail: "status 500", durationSeconds: seconds)
        case ..<0.999: return .down(.failed, detail: "connection refused", durationSeconds: seconds)
        default: return .down(.expired, detail: "", durationSeconds: nil)
        }
    }
}
