import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

extension PostgresTaskStore: ServiceLevelBook {
    /// Runs of missed slots counted in one pass at most.
    static let missesPerPass = 20
    /// Tasks read per schedule when its incidents are evaluated: more than a pass judges, so one read reaches them.
    static let slotTasksPerEvaluation = 5000

    static let anythingToCount: PostgresQuery = """
        SELECT EXISTS (SELECT 1 FROM tasks WHERE verdict IS NULL AND (schedule IS NOT NULL OR run_rule IS NOT NULL)
                AND state IN ('completed', 'failed', 'expired', 'cancelled'))
            OR EXISTS (SELECT 1 FROM schedule_misses WHERE NOT counted)
        """

    /// One transaction. The ended tasks are locked `FOR UPDATE SKIP LOCKED`, so processes counting at once judge
    /// different ones, each once; roll-up rows are locked in key order, so two passes adding to the same minute wait
    /// for each other instead of losing a count; the ledger row of each schedule is locked too, so one evaluation of
    /// its incidents runs at a time, and the one that runs last sees every verdict the others committed.
    public func countRuns(at now: Timestamp, limit: Int, judge: RunJudge) async throws -> RunCountPass {
        try await guarded("run count") {
            // Nothing to count (what most passes find): one indexed read, no transaction.
            var waiting = false
            for try await found in try await self.client.query(Self.anythingToCount, logger: self.logger).decode(Bool.self) { waiting = found }
            guard waiting else { return RunCountPass() }
            return try await self.client.withTransaction(logger: self.logger) { connection in
                var pass = RunCountPass()
                let tasks = try await Self.taskRecords(
                    connection.query(
                        """
                        SELECT \(unescaped: Self.taskColumns) FROM tasks
                        WHERE verdict IS NULL AND (schedule IS NOT NULL OR run_rule IS NOT NULL)
                            AND state IN ('completed', 'failed', 'expired', 'cancelled')
                        ORDER BY seq LIMIT \(limit) FOR UPDATE SKIP LOCKED
                        """, logger: self.logger), newestFirst: false)
                let judged = tasks.map { (task: $0, verdict: judge.verdict(of: $0)) }
                if !judged.isEmpty {
                    let columns = judged.map { RunCounting.VerdictColumns($0.verdict) }
                    try await connection.query(
                        """
                        UPDATE tasks SET verdict = v.code, down_reason = NULLIF(v.reason, ''), verdict_detail = NULLIF(v.detail, ''),
                            duration_ms = NULLIF(v.duration, 'NaN')
                        FROM unnest(\(judged.map(\.task.id)), \(columns.map { Int64($0.code) }), \(columns.map { $0.reason ?? "" }),
                            \(columns.map { $0.detail ?? "" }), \(columns.map { $0.durationMilliseconds ?? .nan })) AS v(id, code, reason, detail, duration)
                        WHERE tasks.id = v.id
                        """, logger: self.logger)
                }
                var misses: [RunCounting.Miss] = []
                for try await (name, first, last, count, every, cron, offset, locations) in try await connection.query(
                    """
                    SELECT schedule, first_slot, last_slot, slots, every_ms, cron, offset_ms, locations FROM schedule_misses
                    WHERE NOT counted ORDER BY recorded LIMIT \(Self.missesPerPass) FOR UPDATE SKIP LOCKED
                    """, logger: self.logger
                ).decode((String, Timestamp, Timestamp, Int64, Int64?, String?, Int64, String?).self) {
                    misses.append(RunCounting.Miss(
                        schedule: name, slots: MissedSlots(first: first, last: last, count: count),
                        timetable: try StoredSchedule.timetable(everyMilliseconds: every, cron: cron, offsetMilliseconds: offset),
                        locations: TaskRoute.locations(stored: locations)))
                }
                if !misses.isEmpty {
                    try await connection.query(
                        """
                        UPDATE schedule_misses SET counted = true FROM unnest(\(misses.map(\.schedule)), \(misses.map(\.slots.first))) AS m(name, first_slot)
                        WHERE schedule_misses.schedule = m.name AND schedule_misses.first_slot = m.first_slot
                        """, logger: self.logger)
                }
                var tallies = RunCounting.contributions(of: judged)
                pass.missedRunsCounted = RunCounting.add(misses, to: &tallies)
                try await self.add(tallies, on: connection)
                let touched = Set(judged.compactMap(\.task.schedule))
                if !touched.isEmpty { pass.changes = try await self.advanceIncidents(of: touched.sorted(), at: now, on: connection) }
                pass.judged = judged.count
                pass.more = tasks.count == limit || misses.count == Self.missesPerPass
                return pass
            }
        }
    }

    public func addRollups(_ rows: [RollupRow], ofSchedule name: String, level: RollupLevel) async throws {
        let adding = RunCounting.tallies(of: rows, schedule: name, level: level)
        try await guarded("roll-up import", timeout: .seconds(120)) {
            try await self.client.withTransaction(logger: self.logger) { connection in
                try await self.add(adding, on: connection)
            }
        }
    }

    /// Adds the tallies to their roll-up rows: missing rows are made empty first, then all are locked in key order,
    /// merged and written back.
    private func add(_ tallies: [RunCounting.RollupKey: RunTally], on connection: PostgresConnection) async throws {
        guard !tallies.isEmpty else { return }
        let keys = tallies.keys.sorted()
        let schedules = keys.map(\.schedule)
        let levels = keys.map { Int64($0.level.rawValue) }
        let buckets = keys.map(\.bucket)
        let locations = keys.map(\.location)
        try await connection.query(
            """
            INSERT INTO run_rollups (schedule, level, bucket, location, up, failed, expired, unsuccessful, missed, durations)
            SELECT k.schedule, k.level, k.bucket, k.location, 0, 0, 0, 0, 0, ''
            FROM unnest(\(schedules), \(levels), \(buckets), \(locations)) WITH ORDINALITY AS k(schedule, level, bucket, location, position)
            ORDER BY k.position ON CONFLICT DO NOTHING
            """, logger: logger)
        var merged: [RunCounting.RollupKey: RunTally] = [:]
        for try await row in try await connection.query(
            """
            SELECT r.schedule, r.level, r.bucket, r.location, r.up, r.failed, r.expired, r.unsuccessful, r.missed, r.durations,
                r.min_seconds, r.max_seconds
            FROM run_rollups r JOIN unnest(\(schedules), \(levels), \(buckets), \(locations)) AS k(schedule, level, bucket, location)
                ON r.schedule = k.schedule AND r.level = k.level AND r.bucket = k.bucket AND r.location = k.location
            ORDER BY r.schedule, r.level, r.bucket, r.location FOR UPDATE OF r
            """, logger: logger)
        {
            let (schedule, level, bucket, location) = try row.decode((String, Int32, Timestamp, String).self)
            guard let level = RollupLevel(rawValue: Int(level)) else { continue }
            let key = RunCounting.RollupKey(schedule: schedule, level: level, bucket: bucket, location: location)
            var tally = try Self.tallyColumns(row, from: 4).tally
            tally.merge(tallies[key] ?? RunTally())
            merged[key] = tally
        }
        let written = keys.compactMap { key in merged[key].map { (key, RunCounting.TallyColumns($0)) } }
        try await connection.query(
            """
            UPDATE run_rollups SET up = v.up, failed = v.failed, expired = v.expired, unsuccessful = v.unsuccessful, missed = v.missed,
                durations = v.durations, min_seconds = NULLIF(v.low, 'NaN'), max_seconds = NULLIF(v.high, 'NaN')
            FROM unnest(\(written.map(\.0.schedule)), \(written.map { Int64($0.0.level.rawValue) }), \(written.map(\.0.bucket)),
                \(written.map(\.0.location)), \(written.map(\.1.up)), \(written.map(\.1.failed)), \(written.map(\.1.expired)),
                \(written.map(\.1.unsuccessful)), \(written.map(\.1.missed)), \(written.map(\.1.durations)),
                \(written.map { $0.1.minimumSeconds ?? .nan }), \(written.map { $0.1.maximumSeconds ?? .nan }))
                AS v(schedule, level, bucket, location, up, failed, expired, unsuccessful, missed, durations, low, high)
            WHERE run_rollups.schedule = v.schedule AND run_rollups.level = v.level AND run_rollups.bucket = v.bucket
                AND run_rollups.location = v.location
            """, logger: logger)
    }

    /// The counters of a roll-up row from column `first` on: up, failed, expired, unsuccessful, missed, durations, min, max.
    private static func tallyColumns(_ row: PostgresRow, from first: Int) throws -> RunCounting.TallyColumns {
        let columns = row.makeRandomAccess()
        return RunCounting.TallyColumns(
            up: try columns[first].decode(Int64.self), failed: try columns[first + 1].decode(Int64.self),
            expired: try columns[first + 2].decode(Int64.self), unsuccessful: try columns[first + 3].decode(Int64.self),
            missed: try columns[first + 4].decode(Int64.self), durations: try columns[first + 5].decode(String.self),
            minimumSeconds: try columns[first + 6].decode(Double?.self), maximumSeconds: try columns[first + 7].decode(Double?.self))
    }

    /// Evaluates the alerting schedules among `names` from their ledgers on, under their ledgers' locks, and writes
    /// what opened, widened and resolved, with the deliveries of those events.
    private func advanceIncidents(of names: [String], at now: Timestamp, on connection: PostgresConnection) async throws -> [(schedule: String, change: IncidentChange)] {
        var ledgers: [(schedule: String, ledger: IncidentLedger, rule: AlertRule)] = []
        for try await row in try await connection.query(
            """
            SELECT l.schedule, l.evaluated_through, l.open_incident, l.good_slots, l.first_good_slot, s.alert_failing, s.alert_recover,
                i.start_slot, i.failures
            FROM schedule_ledgers l JOIN schedules s ON s.name = l.schedule LEFT JOIN incidents i ON i.id = l.open_incident
            WHERE l.schedule = ANY(\(names)) AND s.alert_failing IS NOT NULL ORDER BY l.schedule FOR UPDATE OF l
            """, logger: logger)
        {
            let (schedule, through, openID, good, firstGood, failing, recover, start, failures) = try row.decode(
                (String, Timestamp, UUID?, Int32, Timestamp?, Int32, Int32?, Timestamp?, String?).self)
            let open = openID.flatMap { id in
                start.map { OpenIncident(id: id, start: $0, failures: IncidentRecord.failures(stored: failures ?? "{}")) }
            }
            ledgers.append((
                schedule,
                IncidentLedger(evaluatedThrough: through, open: open, goodSlots: Int(good), firstGoodSlot: firstGood),
                AlertRule(failingLocations: Int(failing), recoverAfter: Int(recover ?? 1))))
        }
        var changes: [(schedule: String, change: IncidentChange)] = []
        for (schedule, before, rule) in ledgers {
            var slotTasks: [RunCounting.SlotTask] = []
            for try await (slot, route, code, reason, detail) in try await connection.query(
                """
                SELECT slot, route, verdict, down_reason, verdict_detail FROM tasks
                WHERE schedule = \(schedule) AND slot > \(before.evaluatedThrough) ORDER BY slot LIMIT \(Self.slotTasksPerEvaluation)
                """, logger: logger
            ).decode((Timestamp, String, Int16?, String?, String?).self) {
                slotTasks.append(RunCounting.SlotTask(
                    slot: slot, location: route,
                    verdict: RunCounting.verdict(code: code.map(Int.init), reason: reason, detail: detail, durationMilliseconds: nil)))
            }
            var ledger = before
            let decided = RunCounting.decidedSlots(slotTasks, complete: slotTasks.count < Self.slotTasksPerEvaluation)
            let made = IncidentTracker.advance(&ledger, through: decided, rule: rule)
            guard ledger != before else { continue }
            for change in made {
                switch change {
                case .opened(let incident):
                    try await connection.query(
                        """
                        INSERT INTO incidents (id, schedule, start_slot, failures, opened)
                        VALUES (\(incident.id), \(schedule), \(incident.start), \(IncidentRecord.storedFailures(incident.failures)), \(now))
                        """, logger: logger)
                case .widened(let incident):
                    try await connection.query(
                        "UPDATE incidents SET failures = \(IncidentRecord.storedFailures(incident.failures)) WHERE id = \(incident.id)",
                        logger: logger)
                case .resolved(let incident, let end):
                    try await connection.query(
                        """
                        UPDATE incidents SET end_slot = \(end), resolved = \(now), failures = \(IncidentRecord.storedFailures(incident.failures))
                        WHERE id = \(incident.id)
                        """, logger: logger)
                }
                changes.append((schedule, change))
            }
            try await connection.query(
                """
                UPDATE schedule_ledgers SET evaluated_through = \(ledger.evaluatedThrough), open_incident = \(ledger.open?.id),
                    good_slots = \(Int32(ledger.goodSlots)), first_good_slot = \(ledger.firstGoodSlot)
                WHERE schedule = \(schedule)
                """, logger: logger)
        }
        try await queueDeliveries(for: changes, at: now, on: connection)
        return changes
    }

    private func queueDeliveries(for changes: [(schedule: String, change: IncidentChange)], at now: Timestamp, on connection: PostgresConnection) async throws {
        guard changes.contains(where: { if case .widened = $0.change { false } else { true } }) else { return }
        var webhooks: [(name: String, events: [String])] = []
        for try await (name, events) in try await connection.query("SELECT name, events FROM webhooks", logger: logger).decode((String, String).self) {
            webhooks.append((name, events.split(separator: ",").map(String.init)))
        }
        let deliveries = RunCounting.deliveries(for: changes, webhooks: webhooks, at: now)
        guard !deliveries.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO webhook_deliveries (id, webhook, event, body, state, created, next_attempt)
            SELECT d.id, d.webhook, d.event, d.body, 'pending', \(now), \(now)
            FROM unnest(\(deliveries.map(\.id)), \(deliveries.map(\.webhook)), \(deliveries.map(\.event)), \(deliveries.map(\.body)))
                WITH ORDINALITY AS d(id, webhook, event, body, position)
            ORDER BY d.position
            """, logger: logger)
    }

    public func rollups(ofSchedule name: String, level: RollupLevel, from: Timestamp, to: Timestamp) async throws -> [RollupRow] {
        try await guarded("roll-up read") {
            var rows: [RollupRow] = []
            for try await row in try await self.client.query(
                """
                SELECT location, bucket, up, failed, expired, unsuccessful, missed, durations, min_seconds, max_seconds FROM run_rollups
                WHERE schedule = \(name) AND level = \(Int32(level.rawValue)) AND bucket >= \(from) AND bucket < \(to)
                """, logger: self.logger)
            {
                let (location, bucket) = try row.decode((String, Timestamp).self)
                rows.append(RollupRow(location: location, bucket: bucket, tally: try Self.tallyColumns(row, from: 2).tally))
            }
            return rows
        }
    }

    public func incidents(ofSchedule schedule: String?, limit: Int) async throws -> [IncidentRecord] {
        try await guarded("incident list") {
            var incidents: [IncidentRecord] = []
            for try await (id, name, start, end, failures, opened, resolved) in try await self.client.query(
                """
                SELECT id, schedule, start_slot, end_slot, failures, opened, resolved FROM incidents
                WHERE \(schedule)::text IS NULL OR schedule = \(schedule)
                ORDER BY resolved IS NULL DESC, start_slot DESC LIMIT \(limit)
                """, logger: self.logger
            ).decode((UUID, String, Timestamp, Timestamp?, String, Timestamp, Timestamp?).self) {
                incidents.append(IncidentRecord(
                    id: id, schedule: name, start: start, end: end, failures: IncidentRecord.failures(stored: failures), opened: opened,
                    resolved: resolved))
            }
            return incidents
        }
    }

    public func prune(resultsBefore results: Timestamp, rollupsBefore rollups: Timestamp, limit: Int) async throws -> Int {
        try await guarded("prune") {
            var deleted = 0
            for try await count in try await self.client.query(
                """
                WITH runs AS (
                    DELETE FROM tasks WHERE seq IN (
                        SELECT seq FROM tasks WHERE schedule IS NOT NULL AND verdict IS NOT NULL
                            AND COALESCE(completed, failed) < \(results) LIMIT \(limit))
                    RETURNING 1
                ), minutes AS (
                    DELETE FROM run_rollups WHERE ctid IN (
                        SELECT ctid FROM run_rollups WHERE level = 60 AND bucket < \(results) LIMIT \(limit))
                    RETURNING 1
                ), hours AS (
                    DELETE FROM run_rollups WHERE ctid IN (
                        SELECT ctid FROM run_rollups WHERE level > 60 AND bucket < \(rollups) LIMIT \(limit))
                    RETURNING 1
                ), misses AS (
                    DELETE FROM schedule_misses WHERE ctid IN (
                        SELECT ctid FROM schedule_misses WHERE counted AND last_slot < \(results) LIMIT \(limit))
                    RETURNING 1
                ), deliveries AS (
                    DELETE FROM webhook_deliveries WHERE seq IN (
                        SELECT seq FROM webhook_deliveries WHERE state <> 'pending' AND settled < \(results) LIMIT \(limit))
                    RETURNING id
                ), attempts AS (
                    DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM deliveries) RETURNING 1
                )
                SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM minutes) + (SELECT count(*) FROM hours)
                    + (SELECT count(*) FROM misses) + (SELECT count(*) FROM deliveries)
                """, logger: self.logger
            ).decode(Int64.self) {
                deleted = Int(count)
            }
            return deleted
        }
    }
}
