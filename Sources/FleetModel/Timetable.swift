import JSON

/// When a schedule's slots fall: every N seconds, or at the minutes a cron expression names (UTC).
public enum ScheduleTiming: Sendable, Hashable {
    case every(seconds: Int64)
    case cron(CronExpression)
}

/// A schedule's timing with its offset: the slot times themselves.
///
/// Slots are aligned to the interval (to the minute, for cron) and moved by an offset that is a fixed function of
/// the schedule's name, so that every process computes the same slots and many schedules with the same interval do
/// not all fire in the same second: an interval of N seconds is offset by under N seconds, a cron minute by under
/// one minute, to the millisecond.
public struct Timetable: Sendable, Hashable {
    public let timing: ScheduleTiming
    public let offsetMicroseconds: Int64

    public init(timing: ScheduleTiming, offsetMicroseconds: Int64) {
        self.timing = timing
        self.offsetMicroseconds = offsetMicroseconds
    }

    /// The timetable of the schedule called `name`.
    public init(timing: ScheduleTiming, scheduleName name: String) {
        let span: Int64
        switch timing {
        case .every(let seconds): span = seconds * 1000
        case .cron: span = 60_000
        }
        self.init(timing: timing, offsetMicroseconds: Int64(Self.fnv1a(name) % UInt64(span)) * 1000)
    }

    /// The first slot at or after `time`; nil when the cron expression names no later minute.
    public func firstSlot(atOrAfter time: Timestamp) -> Timestamp? {
        switch timing {
        case .every(let seconds):
            let interval = seconds * 1_000_000
            let steps = CronExpression.floorDivide(time.microsecondsSinceEpoch - offsetMicroseconds + interval - 1, interval)
            return Timestamp(microsecondsSinceEpoch: offsetMicroseconds + steps * interval)
        case .cron(let expression):
            return expression.next(after: Timestamp(microsecondsSinceEpoch: time.microsecondsSinceEpoch - offsetMicroseconds - 1))
                .map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + offsetMicroseconds) }
        }
    }

    /// The slot after `slot`.
    public func slot(after slot: Timestamp) -> Timestamp? {
        firstSlot(atOrAfter: Timestamp(microsecondsSinceEpoch: slot.microsecondsSinceEpoch + 1))
    }

    /// The seconds between the first slot at or after `time` and the one after it: the interval, or for cron the
    /// gap to its next firing then.
    public func interval(at time: Timestamp) -> Int64 {
        switch timing {
        case .every(let seconds):
            return seconds
        case .cron:
            guard let first = firstSlot(atOrAfter: time), let second = slot(after: first) else { return 60 }
            return max(1, (second.microsecondsSinceEpoch - first.microsecondsSinceEpoch) / 1_000_000)
        }
    }

    /// The slots from `first` through `last` (both slots of this timetable), at most `limit`.
    public func slots(from first: Timestamp, through last: Timestamp, limit: Int) -> [Timestamp] {
        var slots: [Timestamp] = []
        var next: Timestamp? = first
        while let slot = next, slot <= last, slots.count < limit {
            slots.append(slot)
            next = self.slot(after: slot)
        }
        return slots
    }

    /// How many slots fall from `first` through `last`, counting at most `limit` one by one (for cron).
    public func count(from first: Timestamp, through last: Timestamp, limit: Int = 1_000_000) -> Int64 {
        guard first <= last else { return 0 }
        if case .every(let seconds) = timing {
            return (last.microsecondsSinceEpoch - first.microsecondsSinceEpoch) / (seconds * 1_000_000) + 1
        }
        return Int64(slots(from: first, through: last, limit: limit).count)
    }

    /// What a pass over a schedule due at `nextSlot` does at `now`: the slots to create, those younger than the time
    /// to live (at most `catchUp` of them, the newest), the older ones recorded as missed, and the next slot to wait
    /// for. A process that was down creates no backlog: a slot older than its tasks' time to live would expire at once.
    public func plan(from nextSlot: Timestamp, now: Timestamp, ttlSeconds: Int64, catchUp: Int) -> SlotPlan {
        let following = firstSlot(atOrAfter: Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch + 1))
            ?? now.adding(seconds: 366 * 86400)
        guard nextSlot <= now else { return SlotPlan(slots: [], missed: nil, nextSlot: nextSlot) }
        // The oldest slot still worth a task is younger than the time to live; of those, the newest `catchUp`.
        let youngest = Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - ttlSeconds * 1_000_000 + 1)
        var firstCreated = max(nextSlot, firstSlot(atOrAfter: youngest) ?? following)
        if case .every(let seconds) = timing {
            // Counted back from the last slot due, not stepped through: a long time to live may cover many slots.
            let interval = seconds * 1_000_000
            let lastDue = offsetMicroseconds + CronExpression.floorDivide(now.microsecondsSinceEpoch - offsetMicroseconds, interval) * interval
            firstCreated = max(firstCreated, Timestamp(microsecondsSinceEpoch: lastDue - Int64(catchUp - 1) * interval))
        }
        let fresh = slots(from: firstCreated, through: now, limit: 1_000_000)
        let created = Array(fresh.suffix(catchUp))
        if let first = created.first { firstCreated = first }
        var missed: MissedSlots?
        if nextSlot < firstCreated, let lastMissed = lastSlot(before: firstCreated, from: nextSlot) {
            missed = MissedSlots(first: nextSlot, last: lastMissed, count: count(from: nextSlot, through: lastMissed))
        }
        return SlotPlan(slots: created, missed: missed, nextSlot: following)
    }

    /// The last slot before `time`, searching from `first`.
    private func lastSlot(before time: Timestamp, from first: Timestamp) -> Timestamp? {
        if case .every(let seconds) = timing {
            let slot = Timestamp(microsecondsSinceEpoch: time.microsecondsSinceEpoch - seconds * 1_000_000)
            return slot >= first ? firstSlot(atOrAfter: slot) : nil
        }
        var last: Timestamp?
        var next: Timestamp? = first
        while let slot = next, slot < time {
            last = slot
            next = self.slot(after: slot)
        }
        return last
    }

    /// FNV-1a of the UTF-8 bytes: the same in every process and every build, unlike `Hasher`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// The slots one pass over a schedule creates, those it records as missed, and its next slot.
public struct SlotPlan: Sendable, Equatable {
    public let slots: [Timestamp]
    public let missed: MissedSlots?
    public let nextSlot: Timestamp
}

/// A run of consecutive slots that got no task: none was created while they were younger than their time to live.
public struct MissedSlots: Sendable, Equatable {
    public let first: Timestamp
    public let last: Timestamp
    public let count: Int64

    public init(first: Timestamp, last: Timestamp, count: Int64) {
        self.first = first
        self.last = last
        self.count = count
    }
}
