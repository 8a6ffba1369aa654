import FleetModel
import JSON
import Testing

@Suite("cron expressions and schedule timetables")
struct ScheduleTimingTests {
    static func time(_ text: String) -> Timestamp { Timestamp(iso8601: text)! }

    @Test("a cron expression names the minutes crontab would run it at, in UTC")
    func cronNext() throws {
        let cases: [(String, String, String)] = [
            ("*/15 * * * *", "2026-12-03T10:07:30Z", "2026-12-03T10:15:00Z"),
            ("0 3 * * *", "2026-12-03T03:00:00Z", "2026-12-04T03:00:00Z"),
            ("30 9 * * MON-FRI", "2026-12-04T10:00:00Z", "2026-12-07T09:30:00Z"),  // Friday after 9:30: next Monday
            ("0 0 1 JAN *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("0 12 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T12:00:00Z"),
            ("5/20 1,2 * * *", "2026-12-03T01:45:00Z", "2026-12-03T02:05:00Z"),
            ("0 0 * * 7", "2026-12-03T00:00:00Z", "2026-12-06T00:00:00Z"),  // 7 is Sunday, as 0
            // Both day fields restricted: either matches (the 13th, or a Friday).
            ("0 0 13 * 5", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"),
            ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
        ]
        for (expression, after, expected) in cases {
            #expect(try CronExpression(expression).next(after: Self.time(after)) == Self.time(expected), "\(expression) after \(after)")
        }
    }

    @Test("a malformed cron expression is refused with the field that is wrong")
    func cronRefused() {
        for (text, named) in [
            ("* * * *", "five fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"), ("* * * * 8", "day of week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"),
            ("0 0 30 2 *", "no day"), ("* * * FOO *", "month"), ("1,,2 * * * *", "minute"),
        ] {
            #expect {
                try CronExpression(text)
            } throws: { error in
                "\(error)".contains(named)
            }
        }
    }

    @Test("slots every N seconds are aligned to the interval plus the schedule's offset, the same in every process")
    func everySlots() {
        let timetable = Timetable(timing: .every(seconds: 10), scheduleName: "probe-fi")
        #expect(timetable == Timetable(timing: .every(seconds: 10), scheduleName: "probe-fi"))
        #expect((0..<10_000_000).contains(timetable.offsetMicroseconds))
        #expect(timetable.offsetMicroseconds % 1000 == 0)
        let first = timetable.firstSlot(atOrAfter: Self.time("2026-12-03T10:00:00Z"))!
        #expect((first.microsecondsSinceEpoch - timetable.offsetMicroseconds) % 10_000_000 == 0)
        #expect(first.seconds(until: Self.time("2026-12-03T10:00:00Z")) > -10 && first >= Self.time("2026-12-03T10:00:00Z"))
        #expect(timetable.firstSlot(atOrAfter: first) == first)
        #expect(timetable.slot(after: first) == first.adding(seconds: 10))
        // Names spread their offsets: a thousand schedules of one interval do not share a second.
        let offsets = Set((0..<1000).map { Timetable(timing: .every(seconds: 10), scheduleName: "check-\($0)").offsetMicroseconds / 1_000_000 })
        #expect(offsets.count == 10)
    }

    @Test("cron slots fall in their minute, moved by an offset under a minute")
    func cronSlots() throws {
        let timetable = Timetable(timing: .cron(try CronExpression("*/5 * * * *")), scheduleName: "nightly")
        #expect((0..<60_000_000).contains(timetable.offsetMicroseconds))
        let first = timetable.firstSlot(atOrAfter: Self.time("2026-12-03T10:01:00Z"))!
        #expect(first == Self.time("2026-12-03T10:05:00Z").adding(seconds: Double(timetable.offsetMicroseconds) / 1e6))
        #expect(timetable.slot(after: first) == first.adding(seconds: 300))
        #expect(timetable.interval(at: first) == 300)
    }

    @Test("a pass creates the due slots younger than the time to live and records the older ones as missed")
    func plan() {
        let timetable = Timetable(timing: .every(seconds: 10), offsetMicroseconds: 0)
        let start = Self.time("2026-12-03T10:00:00Z")
        // On time: the one due slot.
        let onTime = timetable.plan(from: start, now: start.adding(seconds: 0.2), ttlSeconds: 10, catchUp: 10)
        #expect(onTime.slots == [start])
        #expect(onTime.missed == nil)
        #expect(onTime.nextSlot == start.adding(seconds: 10))
        // Not due yet: nothing.
        let early = timetable.plan(from: start, now: start.adding(seconds: -1), ttlSeconds: 10, catchUp: 10)
        #expect(early.slots.isEmpty && early.nextSlot == start)
        // Down for 95 s with a time to live of 30 s: the slots of the last 30 s are made, the 7 before are missed.
        let back = timetable.plan(from: start, now: start.adding(seconds: 95), ttlSeconds: 30, catchUp: 10)
        #expect(back.slots == [70, 80, 90].map { start.adding(seconds: $0) })
        #expect(back.missed == MissedSlots(first: start, last: start.adding(seconds: 60), count: 7))
        #expect(back.nextSlot == start.adding(seconds: 100))
        // A long time to live is bounded by the catch-up.
        let long = timetable.plan(from: start, now: start.adding(seconds: 1000), ttlSeconds: 86400, catchUp: 3)
        #expect(long.slots == [980, 990, 1000].map { start.adding(seconds: $0) })
        #expect(long.missed?.count == 98)
        // Down for a year at one slot a second: counted, not stepped through.
        let year = Timetable(timing: .every(seconds: 1), offsetMicroseconds: 0).plan(
            from: start, now: start.adding(seconds: 31_536_000), ttlSeconds: 1, catchUp: 10)
        #expect(year.slots == [start.adding(seconds: 31_536_000)])
        #expect(year.missed?.count == 31_536_000)
    }
}
