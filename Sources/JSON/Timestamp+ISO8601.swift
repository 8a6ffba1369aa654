extension Timestamp {
    /// Reads ISO 8601 date-times as AFMs and BPMSs write them: `YYYY-MM-DDTHH:MM:SS` (or a space for the `T`), an
    /// optional fraction of any length (kept to microseconds), then `Z`, an offset (`+02:00`, `+0200`) or nothing
    /// (UTC). Nil for anything else.
    public init?(iso8601 text: String) {
        let s = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= s.count else { return nil }
            var value = 0
            for byte in s[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard s.count >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
            s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == UInt8(ascii: " "),
            s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var microseconds = 0
        if index < s.count, s[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            let start = index
            while index < s.count, s[index] >= 48, s[index] <= 57 {
                microseconds += Int(s[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds = 0
        if index < s.count {
            switch s[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = s[index] == UInt8(ascii: "+") ? 1 : -1
                guard let offsetHour = number((index + 1)..<(index + 3)) else { return nil }
                var minutesStart = index + 3
                if minutesStart < s.count, s[minutesStart] == UInt8(ascii: ":") { minutesStart += 1 }
                guard let offsetMinute = number(minutesStart..<(minutesStart + 2)) else { return nil }
                offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
                index = minutesStart + 2
            default:
                return nil
            }
        }
        guard index == s.count else { return nil }
        let days = Int(CivilDate.daysSinceEpoch(year: Int64(year), month: month, day: day))
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.init(microsecondsSinceEpoch: Int64(seconds) * 1_000_000 + Int64(microseconds))
    }
}
