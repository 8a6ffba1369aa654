import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

extension PostgresTaskStore: ScheduleBook {
    static let scheduleColumns =
        "name, test_id, type, version, data, every_ms, cron, offset_ms, locations, ttl, paused, next_slot, created, updated, run_rule, alert_failing, alert_recover"

    public func saveSchedule(_ schedule: ScheduleDefinition, firstSlot: Timestamp, at now: Timestamp) async throws -> (record: ScheduleRecord, created: Bool) {
        let timetable = schedule.timetable
        let record = try await guarded("schedule save") {
            try await self.client.withTransaction(logger: self.logger) { connection in
                let record = try await self.scheduleRecords(
                    """
                    INSERT INTO schedules (\(unescaped: Self.scheduleColumns))
                    VALUES (\(schedule.name), \(schedule.testID), \(schedule.type), \(schedule.version), \(schedule.dataJSON),
                        \(StoredSchedule.everyMilliseconds(timetable.timing)), \(StoredSchedule.cron(timetable.timing)),
                        \(timetable.offsetMicroseconds / 1000), \(TaskRoute.stored(schedule.locations)), \(schedule.ttlSeconds),
                        \(schedule.paused), \(firstSlot), \(now), \(now), \(schedule.runRule?.storedText),
                        \(schedule.alert.map { Int32($0.failingLocations) }), \(schedule.alert.map { Int32($0.recoverAfter) }))
                    ON CONFLICT (name) DO UPDATE SET
                        test_id = CASE WHEN \(schedule.testIDGiven) THEN EXCLUDED.test_id ELSE schedules.test_id END,
                        type = EXCLUDED.type, version = EXCLUDED.version, data = EXCLUDED.data, every_ms = EXCLUDED.every_ms,
                        cron = EXCLUDED.cron, offset_ms = EXCLUDED.offset_ms, locations = EXCLUDED.locations, ttl = EXCLUDED.ttl,
                        paused = EXCLUDED.paused, updated = EXCLUDED.updated, run_rule = EXCLUDED.run_rule,
                        alert_failing = EXCLUDED.alert_failing, alert_recover = EXCLUDED.alert_recover,
                        next_slot = CASE WHEN schedules.paused OR schedules.every_ms IS DISTINCT FROM EXCLUDED.every_ms
                            OR schedules.cron IS DISTINCT FROM EXCLUDED.cron OR schedules.offset_ms IS DISTINCT FROM EXCLUDED.offset_ms
                            THEN EXCLUDED.next_slot ELSE schedules.next_slot END
                    RETURNING \(unescaped: Self.scheduleColumns)
                    """, on: connection
                ).first
                // Incidents are evaluated from the slots after the alert was set; without an alert, none stays open.
                if schedule.alert != nil {
                    try await connection.query(
                        """
                        INSERT INTO schedule_ledgers (schedule, evaluated_through, good_slots) VALUES (\(schedule.name), \(now), 0)
                        ON CONFLICT DO NOTHING
                        """, logger: self.logger)
                } else {
                    try await connection.query(
                        "DELETE FROM schedule_ledgers WHERE schedule = \(schedule.name)", logger: self.logger)
                    try await connection.query(
                        """
                        UPDATE incidents SET end_slot = \(now), resolved = \(now) WHERE schedule = \(schedule.name) AND resolved IS NULL
                        """, logger: self.logger)
                }
                return record
            }
        }
        guard let record else { throw StoreUnavailable(operation: "schedule save", cause: "the statement returned no row") }
        return (record, record.created == now && record.updated == now)
    }

    public func schedule(named name: String) async throws -> ScheduleRecord? {
        try await guarded("schedule read") {
            try await self.scheduleRecords("SELECT \(unescaped: Self.scheduleColumns) FROM schedules WHERE name = \(name)", on: nil).first
        }
    }

    public func schedules(after name: String?, limit: Int) async throws -> [ScheduleRecord] {
        try await guarded("schedule list") {
            try await self.scheduleRecords(
                """
                SELECT \(unescaped: Self.scheduleColumns) FROM schedules WHERE \(name)::text IS NULL OR name > \(name)
                ORDER BY name LIMIT \(limit)
                """, on: nil)
        }
    }

    public func deleteSchedule(named name: String) async throws -> Bool {
        try await guarded("schedule delete") {
            var deleted = false
            for try await count in try await self.client.query(
                """
                WITH gone AS (DELETE FROM schedules WHERE name = \(name) RETURNING name),
                    misses AS (DELETE FROM schedule_misses WHERE schedule = \(name)),
                    rollups AS (DELETE FROM run_rollups WHERE schedule = \(name)),
                    ledgers AS (DELETE FROM schedule_ledgers WHERE schedule = \(name)),
                    incidents AS (DELETE FROM incidents WHERE schedule = \(name))
                SELECT count(*) FROM gone
                """, logger: self.logger
            ).decode(Int64.self) {
                deleted = count > 0
            }
            return deleted
        }
    }

    /// One transaction: the due schedules are locked (`FOR UPDATE SKIP LOCKED`, so that processes share them
    /// out), their slots' tasks inserted (the unique key on (schedule, slot, route) keeps each single whatever
    /// happens), their missed slots recorded and their next slots advanced, all committed together or not at all.
    /// A process killed midway leaves nothing behind: its transaction rolls back and its locks go with its
    /// connection, so another process takes the same slots at once.
    public func createDueSlots(at now: Timestamp, limits: SlotPassLimits) async throws -> SlotPass {
        try await guarded("schedule pass") {
            // Nothing due (what most passes of an idle process find): one indexed read, no transaction.
            let earliest = try await self.earliestDueSlot()
            guard let earliest, earliest <= now else {
                var pass = SlotPass()
                pass.nextDue = earliest
                return pass
            }
            var pass = try await self.client.withTransaction(logger: self.logger) { connection in
                // The commit does not wait for the WAL flush, so a slow disk does not hold the schedules' locks and the
                // next slots behind it. A database crash within that moment loses the whole pass, tasks and advance
                // together, and the next pass makes those slots again or records them missed; whatever claims one of
                // its tasks commits after it, which flushes it first.
                try await connection.query("SET LOCAL synchronous_commit = off", logger: self.logger)
                var pass = SlotPass()
                let due = try await self.scheduleRecords(
                    """
                    SELECT \(unescaped: Self.scheduleColumns) FROM schedules
                    WHERE NOT paused AND next_slot <= \(now) ORDER BY next_slot LIMIT \(limits.schedules) FOR UPDATE SKIP LOCKED
                    """, on: connection)
                // Schedules beyond the task limit stay as they are; their locks go with the commit.
                let (work, reachedLimit) = StoredSchedule.work(over: due, at: now, limits: limits)
                pass.reachedLimit = reachedLimit
                guard !work.isEmpty else { return pass }
                var tasks: [(name: String, task: StoredSchedule.SlotTask)] = []
                var misses: [(name: String, slots: MissedSlots)] = []
                var advances: [(name: String, next: Timestamp)] = []
                for item in work {
                    let name = item.schedule.definition.name
                    tasks += item.tasks.map { (name, $0) }
                    if let missed = item.plan.missed { misses.append((name, missed)) }
                    advances.append((name, item.plan.nextSlot))
                }
                if !tasks.isEmpty {
                    var inserted: [String: [(slot: Timestamp, route: String)]] = [:]
                    for try await (name, slot, route) in try await connection.query(
                        """
                        INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires, route, locations, schedule, slot, run_rule)
                        SELECT t.id, s.test_id, s.type, s.version, s.data, 'waiting', \(now), s.ttl, t.expires, t.route,
                            NULLIF(t.locations, ''), s.name, t.slot, s.run_rule
                        FROM unnest(\(tasks.map(\.task.id)), \(tasks.map(\.name)), \(tasks.map(\.task.expires)),
                            \(tasks.map(\.task.route)), \(tasks.map { $0.task.locations ?? "" }), \(tasks.map(\.task.slot)))
                            AS t(id, name, expires, route, locations, slot)
                        JOIN schedules s ON s.name = t.name
                        ON CONFLICT DO NOTHING RETURNING schedule, slot, route
                        """, logger: self.logger
                    ).decode((String, Timestamp, String).self) {
                        inserted[name, default: []].append((slot, route))
                    }
                    for item in work {
                        pass.created += SlotPass.CreatedSlot.grouping(inserted[item.schedule.definition.name] ?? [], of: item.schedule.definition)
                    }
                }
                if !misses.isEmpty {
                    for try await (name, first, last, count) in try await connection.query(
                        """
                        INSERT INTO schedule_misses (schedule, first_slot, last_slot, slots, every_ms, cron, offset_ms, locations, recorded)
                        SELECT s.name, m.first_slot, m.last_slot, m.slots, s.every_ms, s.cron, s.offset_ms, s.locations, \(now)
                        FROM unnest(\(misses.map(\.name)), \(misses.map(\.slots.first)), \(misses.map(\.slots.last)), \(misses.map(\.slots.count)))
                            AS m(name, first_slot, last_slot, slots)
                        JOIN schedules s ON s.name = m.name
                        ON CONFLICT DO NOTHING RETURNING schedule, first_slot, last_slot, slots
                        """, logger: self.logger
                    ).decode((String, Timestamp, Timestamp, Int64).self) {
                        pass.missed.append((name, MissedSlots(first: first, last: last, count: count)))
                    }
                }
                try await connection.query(
                    """
                    UPDATE schedules SET next_slot = a.next_slot
                    FROM unnest(\(advances.map(\.name)), \(advances.map(\.next))) AS a(name, next_slot)
                    WHERE schedules.name = a.name
                    """, logger: self.logger)
                return pass
            }
            pass.nextDue = try await self.earliestDueSlot()
            return pass
        }
    }

    /// The earliest slot an active schedule waits for.
    private func earliestDueSlot() async throws -> Timestamp? {
        var earliest: Timestamp?
        for try await next in try await client.query("SELECT min(next_slot) FROM schedules WHERE NOT paused", logger: logger)
            .decode(Timestamp?.self)
        {
            earliest = next
        }
        return earliest
    }

    public func slotHistory(ofSchedule name: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> SlotHistory {
        try await guarded("schedule runs") {
            let tasks = try await self.taskRecords(
                """
                SELECT \(unescaped: Self.taskColumns) FROM tasks
                WHERE schedule = \(name) AND slot >= \(from) AND slot < \(to) ORDER BY slot, route LIMIT \(limit)
                """)
            var missed: [(slots: MissedSlots, timetable: Timetable, locations: [LocationCode])] = []
            for try await (first, last, count, every, cron, offset, locations) in try await self.client.query(
                """
                SELECT first_slot, last_slot, slots, every_ms, cron, offset_ms, locations FROM schedule_misses
                WHERE schedule = \(name) AND last_slot >= \(from) AND first_slot < \(to) ORDER BY first_slot LIMIT \(limit)
                """, logger: self.logger
            ).decode((Timestamp, Timestamp, Int64, Int64?, String?, Int64, String?).self) {
                missed.append((
                    MissedSlots(first: first, last: last, count: count),
                    try StoredSchedule.timetable(everyMilliseconds: every, cron: cron, offsetMilliseconds: offset),
                    TaskRoute.locations(stored: locations)))
            }
            return SlotHistory(tasks: tasks.sorted { ($0.slot ?? $0.created, $0.sequence) < ($1.slot ?? $1.created, $1.sequence) }, missed: missed)
        }
    }

    /// Schedule rows in `scheduleColumns` order, through `connection` when given (a transaction's), else the pool.
    private func scheduleRecords(_ query: PostgresQuery, on connection: PostgresConnection?) async throws -> [ScheduleRecord] {
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        var records: [ScheduleRecord] = []
        for try await row in rows {
            let columns = row.makeRandomAccess()
            records.append(
                try StoredSchedule.Row(
                    name: try columns[0].decode(String.self), testID: try columns[1].decode(UUID.self),
                    type: try columns[2].decode(String.self), version: try columns[3].decode(Int64.self),
                    data: try columns[4].decode(String?.self), everyMilliseconds: try columns[5].decode(Int64?.self),
                    cron: try columns[6].decode(String?.self), offsetMilliseconds: try columns[7].decode(Int64.self),
                    locations: try columns[8].decode(String?.self), ttl: try columns[9].decode(Int64.self),
                    paused: try columns[10].decode(Bool.self), nextSlot: try columns[11].decode(Timestamp.self),
                    created: try columns[12].decode(Timestamp.self), updated: try columns[13].decode(Timestamp.self),
                    runRule: try columns[14].decode(String?.self), alertFailing: try columns[15].decode(Int32?.self).map(Int.init),
                    alertRecover: try columns[16].decode(Int32?.self).map(Int.init)
                ).record())
        }
        return records
    }
}
