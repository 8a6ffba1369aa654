import FleetModel
import FleetStore
import Foundation
import JSON
import SQLiteNIO

extension SQLiteTaskStore: ScheduleBook {
    public func saveSchedule(_ schedule: ScheduleDefinition, firstSlot: Timestamp, at now: Timestamp) async throws -> (record: ScheduleRecord, created: Bool) {
        let time = Self.time(now)
        let row = try await rows(
            """
            INSERT INTO schedules (name, test_id, type, version, data, every_ms, cron, offset_ms, locations, ttl, paused, next_slot, created, updated,
                run_rule, alert_failing, alert_recover)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?15, ?16, ?17)
            ON CONFLICT (name) DO UPDATE SET
                test_id = CASE WHEN ?14 THEN excluded.test_id ELSE schedules.test_id END,
                type = excluded.type, version = excluded.version, data = excluded.data, every_ms = excluded.every_ms,
                cron = excluded.cron, offset_ms = excluded.offset_ms, locations = excluded.locations, ttl = excluded.ttl,
                paused = excluded.paused, updated = excluded.updated, run_rule = excluded.run_rule,
                alert_failing = excluded.alert_failing, alert_recover = excluded.alert_recover,
                next_slot = CASE WHEN schedules.paused OR schedules.every_ms IS NOT excluded.every_ms
                    OR schedules.cron IS NOT excluded.cron OR schedules.offset_ms IS NOT excluded.offset_ms
                    THEN excluded.next_slot ELSE schedules.next_slot END
            RETURNING *
            """,
            Self.binds(schedule) + [
                Self.time(firstSlot), time, .integer(schedule.testIDGiven ? 1 : 0), schedule.runRule.map { .text($0.storedText) } ?? .null,
                schedule.alert.map { .integer($0.failingLocations) } ?? .null, schedule.alert.map { .integer($0.recoverAfter) } ?? .null,
            ]
        ).first
        guard let row else { throw StoreUnavailable(operation: "schedule save", cause: "the statement returned no row") }
        // Incidents are evaluated from the slots after the alert was set; without an alert, none stays open.
        if schedule.alert != nil {
            try await execute(
                "INSERT INTO schedule_ledgers (schedule, evaluated_through, good_slots) VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
                [.text(schedule.name), time])
        } else {
            try await execute("DELETE FROM schedule_ledgers WHERE schedule = ?", [.text(schedule.name)])
            try await execute(
                "UPDATE incidents SET end_slot = ?1, resolved = ?1 WHERE schedule = ?2 AND resolved IS NULL", [time, .text(schedule.name)])
        }
        let record = try Self.scheduleRecord(row)
        return (record, record.created == now && record.updated == now)
    }

    public func schedule(named name: String) async throws -> ScheduleRecord? {
        try await rows("SELECT * FROM schedules WHERE name = ?", [.text(name)]).first.map(Self.scheduleRecord)
    }

    public func schedules(after name: String?, limit: Int) async throws -> [ScheduleRecord] {
        try await rows(
            "SELECT * FROM schedules WHERE ?1 IS NULL OR name > ?1 ORDER BY name LIMIT ?2", [name.map { .text($0) } ?? .null, .integer(limit)]
        ).map(Self.scheduleRecord)
    }

    public func deleteSchedule(named name: String) async throws -> Bool {
        let deleted = try await rows("DELETE FROM schedules WHERE name = ? RETURNING name", [.text(name)])
        for table in ["schedule_misses", "run_rollups", "schedule_ledgers", "incidents"] {
            try await execute("DELETE FROM \(table) WHERE schedule = ?", [.text(name)])
        }
        return !deleted.isEmpty
    }

    /// Statement by statement, each atomic: the tasks first (the unique key keeps a slot's task single when a
    /// crash left them created but the schedule not advanced), then the missed slots, then the advance, which only
    /// takes when no other pass advanced the schedule meanwhile. No transaction spans them: the store's one
    /// connection serves every request, and a request's write made inside an open transaction would be answered
    /// before it is committed.
    public func createDueSlots(at now: Timestamp, limits: SlotPassLimits) async throws -> SlotPass {
        var pass = SlotPass()
        let due = try await rows(
            "SELECT * FROM schedules WHERE paused = 0 AND next_slot <= ? ORDER BY next_slot LIMIT ?", [Self.time(now), .integer(limits.schedules)]
        ).map(Self.scheduleRecord)
        let (work, reachedLimit) = StoredSchedule.work(over: due, at: now, limits: limits)
        pass.reachedLimit = reachedLimit
        for item in work {
            let (schedule, plan, tasks) = (item.schedule, item.plan, item.tasks)
            let definition = schedule.definition
            if !tasks.isEmpty {
                let values = tasks.indices.map { index in
                    let base = 9 + 5 * index
                    return "(?\(base), ?1, ?2, ?3, ?4, 'waiting', ?5, ?6, ?\(base + 1), ?\(base + 2), ?\(base + 3), ?7, ?\(base + 4), ?8)"
                }
                var binds: [SQLiteData] = [
                    .text(definition.testID.canonical), .text(definition.type), .integer(Int(definition.version)),
                    definition.dataJSON.map { .text($0) } ?? .null, Self.time(now), .integer(Int(definition.ttlSeconds)), .text(definition.name),
                    definition.runRule.map { .text($0.storedText) } ?? .null,
                ]
                for task in tasks {
                    binds += [
                        .text(task.id.canonical), Self.time(task.expires), .text(task.route), task.locations.map { .text($0) } ?? .null,
                        Self.time(task.slot),
                    ]
                }
                let inserted = try await rows(
                    """
                    INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires, route, locations, schedule, slot, run_rule)
                    VALUES \(values.joined(separator: ", ")) ON CONFLICT DO NOTHING RETURNING slot, route
                    """, binds)
                pass.created += SlotPass.CreatedSlot.grouping(
                    inserted.map { (Self.timestamp($0.column("slot")?.integer ?? 0), $0.column("route")?.string ?? "") }, of: definition)
            }
            if let missed = plan.missed {
                let recorded = try await rows(
                    """
                    INSERT INTO schedule_misses (schedule, first_slot, last_slot, slots, every_ms, cron, offset_ms, locations, recorded)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING slots
                    """,
                    [.text(definition.name), Self.time(missed.first), Self.time(missed.last), .integer(Int(missed.count))]
                        + Self.timingBinds(schedule.timetable) + [TaskRoute.stored(definition.locations).map { .text($0) } ?? .null, Self.time(now)])
                if !recorded.isEmpty { pass.missed.append((definition.name, missed)) }
            }
            try await execute(
                "UPDATE schedules SET next_slot = ? WHERE name = ? AND next_slot = ?",
                [Self.time(plan.nextSlot), .text(definition.name), Self.time(schedule.nextSlot)])
        }
        pass.nextDue = try await rows("SELECT MIN(next_slot) AS next FROM schedules WHERE paused = 0").first?
            .column("next")?.integer.map(Self.timestamp)
        return pass
    }

    public func slotHistory(ofSchedule name: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> SlotHistory {
        let window: [SQLiteData] = [.text(name), Self.time(from), Self.time(to)]
        let tasks = try await rows(
            "SELECT * FROM tasks WHERE schedule = ? AND slot >= ? AND slot < ? ORDER BY slot, route LIMIT ?", window + [.integer(limit)]
        ).map(Self.taskRecord)
        let missed = try await rows(
            "SELECT * FROM schedule_misses WHERE schedule = ?1 AND last_slot >= ?2 AND first_slot < ?3 ORDER BY first_slot LIMIT ?4",
            window + [.integer(limit)]
        ).map { row in
            (slots: MissedSlots(
                first: Self.timestamp(try row.int("first_slot")), last: Self.timestamp(try row.int("last_slot")),
                count: Int64(try row.int("slots"))),
             timetable: try StoredSchedule.timetable(
                everyMilliseconds: row.column("every_ms")?.integer.map(Int64.init), cron: row.column("cron")?.string,
                offsetMilliseconds: Int64(try row.int("offset_ms"))),
             locations: TaskRoute.locations(stored: row.column("locations")?.string))
        }
        return SlotHistory(tasks: tasks, missed: missed)
    }

    // MARK: Rows

    private static func binds(_ schedule: ScheduleDefinition) -> [SQLiteData] {
        [.text(schedule.name), .text(schedule.testID.canonical), .text(schedule.type), .integer(Int(schedule.version)),
         schedule.dataJSON.map { .text($0) } ?? .null]
            + timingBinds(schedule.timetable)
            + [TaskRoute.stored(schedule.locations).map { .text($0) } ?? .null, .integer(Int(schedule.ttlSeconds)),
               .integer(schedule.paused ? 1 : 0)]
    }

    private static func timingBinds(_ timetable: Timetable) -> [SQLiteData] {
        [StoredSchedule.everyMilliseconds(timetable.timing).map { .integer(Int($0)) } ?? .null,
         StoredSchedule.cron(timetable.timing).map { .text($0) } ?? .null, .integer(Int(timetable.offsetMicroseconds / 1000))]
    }

    static func scheduleRecord(_ row: SQLiteRow) throws -> ScheduleRecord {
        try StoredSchedule.Row(
            name: try row.text("name"), testID: try row.uuid("test_id"), type: try row.text("type"),
            version: Int64(try row.int("version")), data: row.column("data")?.string,
            everyMilliseconds: row.column("every_ms")?.integer.map(Int64.init), cron: row.column("cron")?.string,
            offsetMilliseconds: Int64(try row.int("offset_ms")), locations: row.column("locations")?.string,
            ttl: Int64(try row.int("ttl")), paused: try row.int("paused") != 0, nextSlot: timestamp(try row.int("next_slot")),
            created: timestamp(try row.int("created")), updated: timestamp(try row.int("updated")),
            runRule: row.column("run_rule")?.string, alertFailing: row.column("alert_failing")?.integer,
            alertRecover: row.column("alert_recover")?.integer
        ).record()
    }

    static func time(_ time: Timestamp) -> SQLiteData { .integer(Int(time.microsecondsSinceEpoch)) }

    static func timestamp(_ microseconds: Int) -> Timestamp { Timestamp(microsecondsSinceEpoch: Int64(microseconds)) }
}
