/// RFC 3339 `date-time`, `full-date`, `full-time` and the appendix A `duration`, ASCII digits only.
enum DateTimeFormats {
    static func isDateTime(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > 11, scalars[10] == "T" || scalars[10] == "t" else { return false }
        return isDate(scalars[..<10]) && isTime(scalars[11...])
    }

    static func isDate(_ text: String) -> Bool {
        isDate(Array(text.unicodeScalars)[...])
    }

    static func isTime(_ text: String) -> Bool {
        isTime(Array(text.unicodeScalars)[...])
    }

    private static func number(_ scalars: ArraySlice<Unicode.Scalar>) -> Int? {
        guard !scalars.isEmpty, scalars.allSatisfy(\.isASCIIDigit) else { return nil }
        return scalars.reduce(0) { $0 * 10 + Int($1.value - 48) }
    }

    private static func isDate(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        let s = Array(scalars)
        guard s.count == 10, s[4] == "-", s[7] == "-",
            let year = number(s[0..<4]), let month = number(s[5..<7]), let day = number(s[8..<10])
        else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    private static func isTime(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        let s = Array(scalars)
        guard s.count >= 9, s[2] == ":", s[5] == ":",
            let hour = number(s[0..<2]), let minute = number(s[3..<5]), let second = number(s[6..<8])
        else { return false }
        var index = 8
        if s[index] == "." {
            index += 1
            let start = index
            while index < s.count, s[index].isASCIIDigit { index += 1 }
            guard index > start else { return false }
        }
        guard index < s.count else { return false }
        var offsetMinutes = 0
        switch s[index] {
        case "Z", "z":
            guard index + 1 == s.count else { return false }
        case "+", "-":
            let offset = s[(index + 1)...]
            guard offset.count == 5, offset[offset.startIndex + 2] == ":",
                let offsetHour = number(offset.prefix(2)), let offsetMinute = number(offset.suffix(2)),
                offsetHour <= 23, offsetMinute <= 59
            else { return false }
            offsetMinutes = (offsetHour * 60 + offsetMinute) * (s[index] == "+" ? 1 : -1)
        default:
            return false
        }
        guard hour <= 23, minute <= 59, second <= 60 else { return false }
        if second == 60 {
            // A leap second happens at 23:59:60 UTC only.
            let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    /// `P` then years, months, days (each optional but contiguous) and a `T` part with hours, minutes, seconds
    /// (likewise), or weeks alone.
    static func isDuration(_ text: String) -> Bool {
        let s = Array(text.unicodeScalars)
        guard s.first == "P", s.count > 1 else { return false }
        var index = 1
        func element() -> Unicode.Scalar? {
            let start = index
            while index < s.count, s[index].isASCIIDigit { index += 1 }
            guard index > start, index < s.count else { return nil }
            index += 1
            return s[index - 1]
        }
        func run(_ units: [Unicode.Scalar], until terminator: Unicode.Scalar?) -> Bool? {
            // The units present must be consecutive in `units` order; nil when the grammar is broken.
            var lastUnit = -1
            var count = 0
            while index < s.count, s[index] != terminator {
                guard let unit = element(), let position = units.firstIndex(of: unit), position > lastUnit,
                    lastUnit == -1 || position == lastUnit + 1
                else { return nil }
                lastUnit = position
                count += 1
            }
            return count > 0
        }
        if s.last == "W" {
            return element() == "W" && index == s.count
        }
        guard let hasDate = run(["Y", "M", "D"], until: "T") else { return false }
        if index == s.count { return hasDate }
        index += 1  // "T"
        guard let hasTime = run(["H", "M", "S"], until: nil), hasTime else { return false }
        return index == s.count
    }
}
