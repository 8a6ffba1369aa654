import FleetModel
import Foundation
import JSON

/// How both engines keep a schedule's timing, `every_ms` or `cron` beside `offset_ms`, and read a schedule back.
enum StoredSchedule {
    static func everyMilliseconds(_ timing: ScheduleTiming) -> Int64? {
        if case .every(let seconds) = timing { return seconds * 1000 }
        return nil
    }

    static func cron(_ timing: ScheduleTiming) -> String? {
        if case .cron(let expression) = timing { return expression.description }
        return nil
    }

    static func timetable(everyMilliseconds: Int64?, cron: String?, offsetMilliseconds: Int64) throws -> Timetable {
        let timing: ScheduleTiming
        if let everyMilliseconds {
            timing = .every(seconds: everyMilliseconds / 1000)
        } else if let cron, let expression = try? CronExpression(cron) {
            timing = .cron(expression)
        } else {
            throw StoreUnavailable(operation: "read", cause: "a schedule row has neither an interval nor a valid cron expression")
        }
        return Timetable(timing: timing, offsetMicroseconds: offsetMilliseconds * 1000)
    }

    /// The columns of a `schedules` row, as read by either engine.
    struct Row {
        var name: String
        var testID: UUID
        var type: String
        var version: Int64
        var data: String?
        var everyMilliseconds: Int64?
        var cron: String?
        var offsetMilliseconds: Int64
        var locations: String?
        var ttl: Int64
        var paused: Bool
        var nextSlot: Timestamp
        var created: Timestamp
        var updated: Timestamp

        func record() throws -> ScheduleRecord {
            let timetable = try StoredSchedule.timetable(everyMilliseconds: everyMilliseconds, cron: cron, offsetMilliseconds: offsetMilliseconds)
            let definition = ScheduleDefinition(
                name: name, testID: testID, type: type, version: version, dataJSON: data, timing: timetable.timing,
                locations: TaskRoute.locations(stored: locations), ttlSeconds: ttl, paused: paused)
            return ScheduleRecord(definition: definition, timetable: timetable, nextSlot: nextSlot, created: created, updated: updated)
        }
    }

    /// The tasks of one pass over one due schedule: one per slot and location.
    struct SlotTask {
        let id: UUID
        let slot: Timestamp
        let route: String
        let locations: String?
        let expires: Timestamp
    }

    static func tasks(of schedule: ScheduleRecord, slots: [Timestamp]) -> [SlotTask] {
        let places: [LocationCode?] = schedule.definition.locations.isEmpty ? [nil] : schedule.definition.locations
        return slots.flatMap { slot in
            places.map { place in
                let codes = place.map { [$0] } ?? []
                return SlotTask(
                    id: UUID(), slot: slot, route: TaskRoute.route(of: codes), locations: TaskRoute.stored(codes),
                    expires: slot.adding(seconds: Double(schedule.definition.ttlSeconds)))
            }
        }
    }

    /// One due schedule's part of a pass: its plan and the tasks of its slots.
    struct DueWork {
        let schedule: ScheduleRecord
        let plan: SlotPlan
        let tasks: [SlotTask]
    }

    /// The work of a pass over `due` (earliest slot first) within `limits`, and whether it stopped at one of them.
    static func work(over due: [ScheduleRecord], at now: Timestamp, limits: SlotPassLimits) -> (work: [DueWork], reachedLimit: Bool) {
        var work: [DueWork] = []
        var taskCount = 0
        for schedule in due {
            let definition = schedule.definition
            let plan = schedule.timetable.plan(from: schedule.nextSlot, now: now, ttlSeconds: definition.ttlSeconds, catchUp: limits.catchUp)
            let tasks = tasks(of: schedule, slots: plan.slots)
            let cost = max(1, tasks.count)
            if !work.isEmpty && taskCount + cost > limits.tasks { return (work, true) }
            work.append(DueWork(schedule: schedule, plan: plan, tasks: tasks))
            taskCount += cost
        }
        return (work, due.count >= limits.schedules)
    }
}
