import JSON

/// A five-field cron expression read in UTC: minute, hour, day of month, month, day of week, as crontab(5) writes
/// them. A field is `*`, a number, a range `a-b`, any of those with a step `/n`, or a comma-separated list of them;
/// months and days of the week may be named (`JAN`, `MON`), and Sunday is 0 or 7. When both day fields are
/// restricted, a day matching either one matches (the Vixie cron rule every crontab follows).
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as given, for storing and showing.
    public let description: String
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let daysOfMonth: Set<Int>
    private let months: Set<Int>
    /// 0 is Sunday.
    private let daysOfWeek: Set<Int>
    private let dayOfMonthRestricted: Bool
    private let dayOfWeekRestricted: Bool

    /// Why an expression was refused, naming the field.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw Invalid(description: "a cron expression has five fields (minute hour day-of-month month day-of-week), not \(fields.count)")
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        hours = try Self.field(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31)
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames)
        let weekdays = try Self.field(fields[4], name: "day of week", range: 0...7, names: Self.dayNames)
        daysOfWeek = Set(weekdays.map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        guard next(after: Timestamp(microsecondsSinceEpoch: 0)) != nil else {
            throw Invalid(description: "the cron expression '\(description)' names no day that exists")
        }
    }

    /// The first minute strictly after `time` that the expression names; nil when there is none within eight years
    /// (29 February on a Monday comes round every 28 years at the most, but such a schedule is not worth keeping).
    public func next(after time: Timestamp) -> Timestamp? {
        let microsecondsPerMinute: Int64 = 60_000_000
        var minute = Self.floorDivide(time.microsecondsSinceEpoch, microsecondsPerMinute) + 1
        let limit = minute + 8 * 366 * 24 * 60
        while minute < limit {
            let day = Self.floorDivide(minute, 1440)
            let date = CivilDate(daysSinceEpoch: day)
            guard months.contains(date.month) else {
                minute = CivilDate.daysSinceEpoch(year: date.month == 12 ? date.year + 1 : date.year, month: date.month % 12 + 1, day: 1) * 1440
                continue
            }
            guard matchesDay(date) else {
                minute = (day + 1) * 1440
                continue
            }
            let minuteOfDay = Int(minute - day * 1440)
            guard hours.contains(minuteOfDay / 60) else {
                minute = day * 1440 + Int64(minuteOfDay / 60 + 1) * 60
                continue
            }
            guard minutes.contains(minuteOfDay % 60) else {
                minute += 1
                continue
            }
            return Timestamp(microsecondsSinceEpoch: minute * microsecondsPerMinute)
        }
        return nil
    }

    private func matchesDay(_ date: CivilDate) -> Bool {
        let byMonthDay = daysOfMonth.contains(date.day)
        let byWeekday = daysOfWeek.contains(date.weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return byMonthDay || byWeekday }
        return byMonthDay && byWeekday
    }

    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        .enumerated().reduce(into: [String: Int]()) { $0[$1.element] = $1.offset + 1 }
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        .enumerated().reduce(into: [String: Int]()) { $0[$1.element] = $1.offset }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int] = [:]) throws(Invalid) -> Set<Int> {
        func value(_ part: Substring) throws(Invalid) -> Int {
            if let number = Int(part), range.contains(number) { return number }
            if let named = names[part.uppercased()] { return named }
            throw Invalid(description: "cron \(name) field '\(text)': '\(part)' is not a value from \(range.lowerBound) to \(range.upperBound)")
        }
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(stepParts.count) else { throw Invalid(description: "cron \(name) field '\(text)': '\(item)' has two steps") }
            var step = 1
            if stepParts.count == 2 {
                guard let given = Int(stepParts[1]), given >= 1, given <= range.upperBound else {
                    throw Invalid(description: "cron \(name) field '\(text)': the step '\(stepParts[1])' is not a number from 1 to \(range.upperBound)")
                }
                step = given
            }
            let span = stepParts[0]
            let bounds: ClosedRange<Int>
            if span == "*" {
                bounds = range
            } else if let dash = span.firstIndex(of: "-") {
                let low = try value(span[..<dash])
                let high = try value(span[span.index(after: dash)...])
                guard low <= high else { throw Invalid(description: "cron \(name) field '\(text)': the range '\(span)' runs backwards") }
                bounds = low...high
            } else {
                let single = try value(span)
                // `5/15` means from 5 to the end in steps of 15, as in crontab.
                bounds = stepParts.count == 2 ? single...range.upperBound : single...single
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }
}
