import FleetModel
import FleetStore
import Foundation
import JSON
import SQLiteNIO

extension SQLiteTaskStore: ServiceLevelBook {
    static let missesPerPass = 20
    static let slotTasksPerEvaluation = 5000

    /// One transaction (`withTransaction`), so a pass counts all of its runs or none, whatever kills the process.
    public func countRuns(at now: Timestamp, limit: Int, judge: RunJudge) async throws -> RunCountPass {
        // Nothing to count (what most passes find): one indexed read, and the gate stays open.
        let waiting = try await rows(
            """
            SELECT EXISTS (SELECT 1 FROM tasks WHERE verdict IS NULL AND (schedule IS NOT NULL OR run_rule IS NOT NULL)
                    AND state IN ('completed', 'failed', 'expired', 'cancelled'))
                OR EXISTS (SELECT 1 FROM schedule_misses WHERE counted = 0) AS waiting
            """
        ).first?.column("waiting")?.integer ?? 0
        guard waiting != 0 else { return RunCountPass() }
        return try await withTransaction { transaction in
            var pass = RunCountPass()
            let tasks = try await transaction.rows(
                """
                SELECT * FROM tasks WHERE verdict IS NULL AND (schedule IS NOT NULL OR run_rule IS NOT NULL)
                    AND state IN ('completed', 'failed', 'expired', 'cancelled')
                ORDER BY seq LIMIT ?
                """, [.integer(limit)]
            ).map(Self.taskRecord)
            let judged = tasks.map { (task: $0, verdict: judge.verdict(of: $0)) }
            for (task, verdict) in judged {
                let columns = RunCounting.VerdictColumns(verdict)
                try await transaction.execute(
                    "UPDATE tasks SET verdict = ?, down_reason = ?, verdict_detail = ?, duration_ms = ? WHERE id = ?",
                    [.integer(columns.code), columns.reason.map { .text($0) } ?? .null, columns.detail.map { .text($0) } ?? .null,
                     columns.durationMilliseconds.map { .float($0) } ?? .null, .text(task.id.canonical)])
            }
            let misses = try await transaction.rows(
                "SELECT * FROM schedule_misses WHERE counted = 0 ORDER BY recorded LIMIT ?", [.integer(Self.missesPerPass)]
            ).map { row in
                RunCounting.Miss(
                    schedule: try row.text("schedule"),
                    slots: MissedSlots(
                        first: Self.timestamp(try row.int("first_slot")), last: Self.timestamp(try row.int("last_slot")),
                        count: Int64(try row.int("slots"))),
                    timetable: try StoredSchedule.timetable(
                        everyMilliseconds: row.column("every_ms")?.integer.map(Int64.init), cron: row.column("cron")?.string,
                        offsetMilliseconds: Int64(try row.int("offset_ms"))),
                    locations: TaskRoute.locations(stored: row.column("locations")?.string))
            }
            for miss in misses {
                try await transaction.execute(
                    "UPDATE schedule_misses SET counted = 1 WHERE schedule = ? AND first_slot = ?", [.text(miss.schedule), Self.time(miss.slots.first)])
            }
            var tallies = RunCounting.contributions(of: judged)
            pass.missedRunsCounted = RunCounting.add(misses, to: &tallies)
            try await Self.add(tallies, in: transaction)
            let touched = Set(judged.compactMap(\.task.schedule))
            if !touched.isEmpty { pass.changes = try await Self.advanceIncidents(of: touched.sorted(), at: now, in: transaction) }
            pass.judged = judged.count
            pass.more = tasks.count == limit || misses.count == Self.missesPerPass
            return pass
        }
    }

    public func addRollups(_ rows: [RollupRow], ofSchedule name: String, level: RollupLevel) async throws {
        let adding = RunCounting.tallies(of: rows, schedule: name, level: level)
        try await withTransaction { transaction in try await Self.add(adding, in: transaction) }
    }

    private static func add(_ tallies: [RunCounting.RollupKey: RunTally], in transaction: SQLiteTransaction) async throws {
        for key in tallies.keys.sorted() {
            let keyBinds: [SQLiteData] = [.text(key.schedule), .integer(key.level.rawValue), time(key.bucket), .text(key.location)]
            var tally = try await transaction.rows(
                "SELECT * FROM run_rollups WHERE schedule = ? AND level = ? AND bucket = ? AND location = ?", keyBinds
            ).first.map { try tallyColumns($0).tally } ?? RunTally()
            tally.merge(tallies[key]!)
            let columns = RunCounting.TallyColumns(tally)
            try await transaction.execute(
                """
                INSERT INTO run_rollups (schedule, level, bucket, location, up, failed, expired, unsuccessful, missed, durations, min_seconds, max_seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (schedule, level, bucket, location) DO UPDATE SET up = excluded.up, failed = excluded.failed,
                    expired = excluded.expired, unsuccessful = excluded.unsuccessful, missed = excluded.missed,
                    durations = excluded.durations, min_seconds = excluded.min_seconds, max_seconds = excluded.max_seconds
                """,
                keyBinds + [
                    .integer(Int(columns.up)), .integer(Int(columns.failed)), .integer(Int(columns.expired)), .integer(Int(columns.unsuccessful)),
                    .integer(Int(columns.missed)), .text(columns.durations), columns.minimumSeconds.map { .float($0) } ?? .null,
                    columns.maximumSeconds.map { .float($0) } ?? .null,
                ])
        }
    }

    private static func tallyColumns(_ row: SQLiteRow) throws -> RunCounting.TallyColumns {
        RunCounting.TallyColumns(
            up: Int64(try row.int("up")), failed: Int64(try row.int("failed")), expired: Int64(try row.int("expired")),
            unsuccessful: Int64(try row.int("unsuccessful")), missed: Int64(try row.int("missed")), durations: try row.text("durations"),
            minimumSeconds: row.column("min_seconds")?.double, maximumSeconds: row.column("max_seconds")?.double)
    }

    private static func advanceIncidents(
        of names: [String], at now: Timestamp, in transaction: SQLiteTransaction
    ) async throws -> [(schedule: String, change: IncidentChange)] {
        var changes: [(schedule: String, change: IncidentChange)] = []
        for schedule in names {
            guard
                let row = try await transaction.rows(
                    """
                    SELECT l.*, s.alert_failing, s.alert_recover, i.start_slot, i.failures
                    FROM schedule_ledgers l JOIN schedules s ON s.name = l.schedule LEFT JOIN incidents i ON i.id = l.open_incident
                    WHERE l.schedule = ? AND s.alert_failing IS NOT NULL
                    """, [.text(schedule)]
                ).first
            else { continue }
            let open = row.column("open_incident")?.string.flatMap(UUID.init(canonicalText:)).flatMap { id in
                row.column("start_slot")?.integer.map {
                    OpenIncident(id: id, start: timestamp($0), failures: IncidentRecord.failures(stored: row.column("failures")?.string ?? "{}"))
                }
            }
            let before = IncidentLedger(
                evaluatedThrough: timestamp(try row.int("evaluated_through")), open: open, goodSlots: try row.int("good_slots"),
                firstGoodSlot: row.column("first_good_slot")?.integer.map(timestamp))
            let rule = AlertRule(failingLocations: try row.int("alert_failing"), recoverAfter: row.column("alert_recover")?.integer ?? 1)
            let slotTasks = try await transaction.rows(
                "SELECT slot, route, verdict, down_reason, verdict_detail FROM tasks WHERE schedule = ? AND slot > ? ORDER BY slot LIMIT ?",
                [.text(schedule), time(before.evaluatedThrough), .integer(slotTasksPerEvaluation)]
            ).map { task in
                RunCounting.SlotTask(
                    slot: timestamp(try task.int("slot")), location: try task.text("route"),
                    verdict: RunCounting.verdict(
                        code: task.column("verdict")?.integer, reason: task.column("down_reason")?.string,
                        detail: task.column("verdict_detail")?.string, durationMilliseconds: nil))
            }
            var ledger = before
            let decided = RunCounting.decidedSlots(slotTasks, complete: slotTasks.count < slotTasksPerEvaluation)
            let made = IncidentTracker.advance(&ledger, through: decided, rule: rule)
            guard ledger != before else { continue }
            for change in made {
                switch change {
                case .opened(let incident):
                    try await transaction.execute(
                        "INSERT INTO incidents (id, schedule, start_slot, failures, opened) VALUES (?, ?, ?, ?, ?)",
                        [.text(incident.id.canonical), .text(schedule), time(incident.start), .text(IncidentRecord.storedFailures(incident.failures)), time(now)])
                case .widened(let incident):
                    try await transaction.execute(
                        "UPDATE incidents SET failures = ? WHERE id = ?", [.text(IncidentRecord.storedFailures(incident.failures)), .text(incident.id.canonical)])
                case .resolved(let incident, let end):
                    try await transaction.execute(
                        "UPDATE incidents SET end_slot = ?, resolved = ?, failures = ? WHERE id = ?",
                        [time(end), time(now), .text(IncidentRecord.storedFailures(incident.failures)), .text(incident.id.canonical)])
                }
                changes.append((schedule, change))
            }
            try await transaction.execute(
                "UPDATE schedule_ledgers SET evaluated_through = ?, open_incident = ?, good_slots = ?, first_good_slot = ? WHERE schedule = ?",
                [time(ledger.evaluatedThrough), ledger.open.map { .text($0.id.canonical) } ?? .null, .integer(ledger.goodSlots),
                 ledger.firstGoodSlot.map(time) ?? .null, .text(schedule)])
        }
        if changes.contains(where: { if case .widened = $0.change { false } else { true } }) {
            let webhooks = try await transaction.rows("SELECT name, events FROM webhooks").map { row in
                (name: try row.text("name"), events: try row.text("events").split(separator: ",").map(String.init))
            }
            for delivery in RunCounting.deliveries(for: changes, webhooks: webhooks, at: now) {
                try await transaction.execute(
                    "INSERT INTO webhook_deliveries (id, webhook, event, body, state, created, next_attempt) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
                    [.text(delivery.id.canonical), .text(delivery.webhook), .text(delivery.event), .text(delivery.body), time(now)])
            }
        }
        return changes
    }

    public func rollups(ofSchedule name: String, level: RollupLevel, from: Timestamp, to: Timestamp) async throws -> [RollupRow] {
        try await rows(
            """
            SELECT location, bucket, up, failed, expired, unsuccessful, missed, durations, min_seconds, max_seconds FROM run_rollups
            WHERE schedule = ? AND level = ? AND bucket >= ? AND bucket < ?
            """, [.text(name), .integer(level.rawValue), Self.time(from), Self.time(to)]
        ).map { row in
            RollupRow(location: try row.text("location"), bucket: Self.timestamp(try row.int("bucket")), tally: try Self.tallyColumns(row).tally)
        }
    }

    public func incidents(ofSchedule schedule: String?, limit: Int) async throws -> [IncidentRecord] {
        try await rows(
            """
            SELECT * FROM incidents WHERE ?1 IS NULL OR schedule = ?1 ORDER BY resolved IS NULL DESC, start_slot DESC LIMIT ?2
            """, [schedule.map { .text($0) } ?? .null, .integer(limit)]
        ).map { row in
            IncidentRecord(
                id: try row.uuid("id"), schedule: try row.text("schedule"), start: Self.timestamp(try row.int("start_slot")),
                end: row.column("end_slot")?.integer.map(Self.timestamp), failures: IncidentRecord.failures(stored: try row.text("failures")),
                opened: Self.timestamp(try row.int("opened")), resolved: row.column("resolved")?.integer.map(Self.timestamp))
        }
    }

    /// Statement by statement, each a small batch: a prune never holds the write lock for long.
    public func prune(resultsBefore results: Timestamp, rollupsBefore rollups: Timestamp, limit: Int) async throws -> Int {
        // Each with the cutoff it deletes before, and whether its rows count (a delivery's attempts go with it).
        let statements: [(String, [SQLiteData], counted: Bool)] = [
            ("""
             DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks WHERE schedule IS NOT NULL AND verdict IS NOT NULL
                 AND COALESCE(completed, failed) < ? LIMIT ?) RETURNING 1
             """, [Self.time(results)], true),
            ("DELETE FROM run_rollups WHERE rowid IN (SELECT rowid FROM run_rollups WHERE level = 60 AND bucket < ? LIMIT ?) RETURNING 1", [Self.time(results)], true),
            ("DELETE FROM run_rollups WHERE rowid IN (SELECT rowid FROM run_rollups WHERE level > 60 AND bucket < ? LIMIT ?) RETURNING 1", [Self.time(rollups)], true),
            ("DELETE FROM schedule_misses WHERE rowid IN (SELECT rowid FROM schedule_misses WHERE counted = 1 AND last_slot < ? LIMIT ?) RETURNING 1", [Self.time(results)], true),
            ("""
             DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND settled < ? LIMIT ?)
             RETURNING 1
             """, [Self.time(results)], false),
            ("""
             DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries WHERE state <> 'pending' AND settled < ? LIMIT ?)
             RETURNING 1
             """, [Self.time(results)], true),
        ]
        var deleted = 0
        for (sql, binds, counted) in statements {
            let gone = try await rows(sql, binds + [.integer(limit)]).count
            if counted { deleted += gone }
        }
        return deleted
    }
}
