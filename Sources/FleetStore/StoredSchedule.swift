import FleetModel
import Foundation
import JSON

/// How both engines keep a schedule's timing, `every_ms` or `cron` beside `offset_ms`, and read a schedule back.
package enum StoredSchedule {
    package static func everyMilliseconds(_ timing: ScheduleTiming) -> Int64? {
        if case .every(let seconds) = timing { return seconds * 1000 }
        return nil
    }

    package static func cron(_ timing: ScheduleTiming) -> String? {
        if case .cron(let expression) = timing { return expression.description }
        return nil
    }

    package static func timetable(everyMilliseconds: Int64?, cron: String?, offsetMilliseconds: Int64) throws -> Timetable {
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
    package struct Row {
        package var name: String
        package var testID: UUID
        package var type: String
        package var version: Int64
        package var data: String?
        package var everyMilliseconds: Int64?
        package var cron: String?
        package var offsetMilliseconds: Int64
        package var locations: String?
        package var ttl: Int64
        package var paused: Bool
        package var nextSlot: Timestamp
        package var created: Timestamp
        package var updated: Timestamp
        package var runRule: String?
        package var alertFailing: Int?
        package var alertRecover: Int?

        package init(
            name: String, testID: UUID, type: String, version: Int64, data: String?, everyMilliseconds: Int64?, cron: String?,
            offsetMilliseconds: Int64, locations: String?, ttl: Int64, paused: Bool, nextSlot: Timestamp, created: Timestamp,
            updated: Timestamp, runRule: String?, alertFailing: Int?, alertRecover: Int?
        ) {
            self.runRule = runRule
            self.alertFailing = alertFailing
            self.alertRecover = alertRecover
            self.name = name
            self.testID = testID
            self.type = type
            self.version = version
            self.data = data
            self.everyMilliseconds = everyMilliseconds
            self.cron = cron
            self.offsetMilliseconds = offsetMilliseconds
            self.locations = locations
            self.ttl = ttl
            self.paused = paused
            self.nextSlot = nextSlot
            self.created = created
            self.updated = updated
        }

        package func record() throws -> ScheduleRecord {
            let timetable = try StoredSchedule.timetable(everyMilliseconds: everyMilliseconds, cron: cron, offsetMilliseconds: offsetMilliseconds)
            let definition = ScheduleDefinition(
                name: name, testID: testID, type: type, version: version, dataJSON: data, timing: timetable.timing,
                locations: TaskRoute.locations(stored: locations), ttlSeconds: ttl, paused: paused, runRule: RunRule(storedText: runRule),
                alert: alertFailing.map { AlertRule(failingLocations: $0, recoverAfter: alertRecover ?? 1) })
            return ScheduleRecord(definition: definition, timetable: timetable, nextSlot: nextSlot, created: created, updated: updated)
        }
    }

    /// The tasks of one pass over one due schedule: one per slot and location.
    package struct SlotTask {
        package let id: UUID
        package let slot: Timestamp
        package let route: String
        package let locations: String?
        package let expires: Timestamp
    }

    package static func tasks(of schedule: ScheduleRecord, slots: [Timestamp]) -> [SlotTask] {
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
    package struct DueWork {
        package let schedule: ScheduleRecord
        package let plan: SlotPlan
        package let tasks: [SlotTask]
    }

    /// The work of a pass over `due` (earliest slot first) within `limits`, and whether it stopped at one of them.
    package static func work(over due: [ScheduleRecord], at now: Timestamp, limits: SlotPassLimits) -> (work: [DueWork], reachedLimit: Bool) {
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
