import FleetModel
import Foundation
import JSON

/// What both engines share in a counting pass (`ServiceLevelBook.countRuns`): how a verdict is stored, what judged
/// runs and missed slots add to which roll-ups, which slots are decided, and the webhook bodies of incidents.
package enum RunCounting {
    // MARK: Verdict columns

    /// `verdict` (1 up, 0 down, -1 withdrawn), `down_reason`, `verdict_detail`, `duration_ms`.
    package struct VerdictColumns {
        package let code: Int
        package let reason: String?
        package let detail: String?
        package let durationMilliseconds: Double?

        package init(_ verdict: RunVerdict) {
            switch verdict {
            case .up(let seconds):
                (code, reason, detail, durationMilliseconds) = (1, nil, nil, seconds.map { $0 * 1000 })
            case .down(let why, let text, let seconds):
                (code, reason, detail, durationMilliseconds) = (0, why.rawValue, String(text.prefix(500)), seconds.map { $0 * 1000 })
            case .withdrawn:
                (code, reason, detail, durationMilliseconds) = (-1, nil, nil, nil)
            }
        }
    }

    package static func verdict(code: Int?, reason: String?, detail: String?, durationMilliseconds: Double?) -> RunVerdict? {
        guard let code else { return nil }
        let seconds = durationMilliseconds.map { $0 / 1000 }
        switch code {
        case 1: return .up(durationSeconds: seconds)
        case 0: return .down(reason.flatMap(DownReason.init(rawValue:)) ?? .failed, detail: detail ?? "", durationSeconds: seconds)
        default: return .withdrawn
        }
    }

    // MARK: Roll-ups

    package struct RollupKey: Hashable, Comparable, Sendable {
        package let schedule: String
        package let level: RollupLevel
        package let bucket: Timestamp
        package let location: String

        package init(schedule: String, level: RollupLevel, bucket: Timestamp, location: String) {
            self.schedule = schedule
            self.level = level
            self.bucket = bucket
            self.location = location
        }

        package static func < (lhs: RollupKey, rhs: RollupKey) -> Bool {
            (lhs.schedule, lhs.level.rawValue, lhs.bucket, lhs.location) < (rhs.schedule, rhs.level.rawValue, rhs.bucket, rhs.location)
        }
    }

    /// The location a run counts under: its one location, or "" for a schedule without locations.
    package static func place(of task: TaskRecord) -> String {
        task.locations.first?.description ?? ""
    }

    /// What the judged runs of schedules add, per minute and per hour of their slots.
    package static func contributions(of judged: [(task: TaskRecord, verdict: RunVerdict)]) -> [RollupKey: RunTally] {
        var tallies: [RollupKey: RunTally] = [:]
        for (task, verdict) in judged {
            guard let schedule = task.schedule, let slot = task.slot, verdict != .withdrawn else { continue }
            for level in RollupLevel.allCases {
                tallies[RollupKey(schedule: schedule, level: level, bucket: level.bucket(of: slot), location: place(of: task)), default: RunTally()]
                    .count(verdict)
            }
        }
        return tallies
    }

    /// Imported rows (`ServiceLevelBook.addRollups`) keyed as a pass keys its contributions.
    package static func tallies(of rows: [RollupRow], schedule: String, level: RollupLevel) -> [RollupKey: RunTally] {
        var tallies: [RollupKey: RunTally] = [:]
        for row in rows {
            tallies[RollupKey(schedule: schedule, level: level, bucket: row.bucket, location: row.location), default: RunTally()].merge(row.tally)
        }
        return tallies
    }

    /// A run of missed slots as stored, with the timing it was counted by.
    package struct Miss {
        package let schedule: String
        package let slots: MissedSlots
        package let timetable: Timetable
        package let locations: [LocationCode]

        package init(schedule: String, slots: MissedSlots, timetable: Timetable, locations: [LocationCode]) {
            self.schedule = schedule
            self.slots = slots
            self.timetable = timetable
            self.locations = locations
        }
    }

    /// What missed slots add: one down run (`missed`) per slot and location, in the buckets of the slots.
    package static func add(_ misses: [Miss], to tallies: inout [RollupKey: RunTally]) -> Int {
        var counted = 0
        for miss in misses {
            let places = miss.locations.isEmpty ? [""] : miss.locations.map(\.description)
            var perMinute: [Timestamp: Int64] = [:]
            // A stored run of missed slots is bounded (the runner records each as it passes it), so walking it is too.
            let slots = miss.timetable.slots(from: miss.slots.first, through: miss.slots.last, limit: Int(clamping: miss.slots.count))
            for slot in slots { perMinute[RollupLevel.minute.bucket(of: slot), default: 0] += 1 }
            for (minute, count) in perMinute {
                for place in places {
                    for level in RollupLevel.allCases {
                        tallies[RollupKey(schedule: miss.schedule, level: level, bucket: level.bucket(of: minute), location: place), default: RunTally()]
                            .countMissed(count)
                    }
                }
            }
            counted += slots.count * places.count
        }
        return counted
    }

    /// A roll-up row's counters as both engines keep them in columns.
    package struct TallyColumns {
        package var up: Int64
        package var failed: Int64
        package var expired: Int64
        package var unsuccessful: Int64
        package var missed: Int64
        package var durations: String
        package var minimumSeconds: Double?
        package var maximumSeconds: Double?

        package init(_ tally: RunTally) {
            up = tally.up
            failed = tally.down[.failed] ?? 0
            expired = tally.down[.expired] ?? 0
            unsuccessful = tally.down[.unsuccessful] ?? 0
            missed = tally.down[.missed] ?? 0
            durations = tally.durations.storedText
            minimumSeconds = tally.durations.minimum
            maximumSeconds = tally.durations.maximum
        }

        package init(
            up: Int64, failed: Int64, expired: Int64, unsuccessful: Int64, missed: Int64, durations: String, minimumSeconds: Double?,
            maximumSeconds: Double?
        ) {
            (self.up, self.failed, self.expired, self.unsuccessful, self.missed) = (up, failed, expired, unsuccessful, missed)
            (self.durations, self.minimumSeconds, self.maximumSeconds) = (durations, minimumSeconds, maximumSeconds)
        }

        package var tally: RunTally {
            var tally = RunTally()
            tally.up = up
            for (reason, count) in [(DownReason.failed, failed), (.expired, expired), (.unsuccessful, unsuccessful), (.missed, missed)]
            where count > 0 {
                tally.down[reason] = count
            }
            tally.durations = DurationHistogram(storedText: durations, minimum: minimumSeconds, maximum: maximumSeconds)
            return tally
        }
    }

    // MARK: Incidents

    /// One task of a schedule after the ledger's last slot, as the evaluation reads it.
    package struct SlotTask {
        package let slot: Timestamp
        package let location: String
        package let verdict: RunVerdict?

        package init(slot: Timestamp, location: String, verdict: RunVerdict?) {
            self.slot = slot
            self.location = location
            self.verdict = verdict
        }
    }

    /// The leading slots all of whose tasks are judged, in order; stops at the first that is not. `complete` says
    /// whether `tasks` holds every task after the ledger's slot (else the last slot read may be partial).
    package static func decidedSlots(_ tasks: [SlotTask], complete: Bool) -> [DecidedSlot] {
        var slots: [DecidedSlot] = []
        let grouped = Dictionary(grouping: tasks, by: \.slot).sorted { $0.key < $1.key }
        for (index, (time, runs)) in grouped.enumerated() {
            if !complete && index == grouped.count - 1 { break }
            var counted = 0
            var down: [String: String] = [:]
            for run in runs {
                guard let verdict = run.verdict else { return slots }
                switch verdict {
                case .up: counted += 1
                case .down(let reason, let detail, _):
                    counted += 1
                    down[run.location] = detail.isEmpty ? reason.rawValue : "\(reason.rawValue): \(detail)"
                case .withdrawn: break
                }
            }
            slots.append(DecidedSlot(time: time, runs: counted, down: down))
        }
        return slots
    }

    /// The body of a delivery of `event` about `incident`, its own id inside so that receivers can drop repeats.
    package static func webhookBody(event: String, deliveryID: UUID, schedule: String, incident: OpenIncident, end: Timestamp?, at now: Timestamp) -> String {
        var incidentMembers: [String: JSONValue] = [
            "id": .string(incident.id.canonical), "schedule": .string(schedule), "start": .string(incident.start.iso8601Text),
            "failing_locations": .array(incident.failures.keys.sorted().map { $0.isEmpty ? .null : .string($0) }),
            "failures": .array(incident.failures.sorted { $0.key < $1.key }.map { location, reason in
                ["location": location.isEmpty ? .null : .string(location), "reason": .string(reason)]
            }),
        ]
        incidentMembers["end"] = end.map { .string($0.iso8601Text) } ?? .null
        return JSONWriter.string(from: [
            "id": .string(deliveryID.canonical), "event": .string(event), "created": .string(now.iso8601Text),
            "incident": .object(incidentMembers),
        ])
    }

    /// The deliveries `changes` make for `webhooks` (name, events): an id, the webhook, the event and its body.
    package static func deliveries(
        for changes: [(schedule: String, change: IncidentChange)], webhooks: [(name: String, events: [String])], at now: Timestamp
    ) -> [(id: UUID, webhook: String, event: String, body: String)] {
        var deliveries: [(id: UUID, webhook: String, event: String, body: String)] = []
        for (schedule, change) in changes {
            let event: String
            let incident: OpenIncident
            var end: Timestamp?
            switch change {
            case .opened(let opened): (event, incident) = ("incident.opened", opened)
            case .resolved(let resolved, let at): (event, incident, end) = ("incident.resolved", resolved, at)
            case .widened: continue
            }
            for webhook in webhooks where webhook.events.contains(event) {
                let id = UUID()
                deliveries.append((id, webhook.name, event, webhookBody(event: event, deliveryID: id, schedule: schedule, incident: incident, end: end, at: now)))
            }
        }
        return deliveries
    }
}
