#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A UTC instant with microsecond precision, as both stores keep it and protocol 1 prints it.
public struct Timestamp: Sendable, Hashable, Comparable {
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64((seconds * 1_000_000).rounded()))
    }

    /// Seconds from this instant to `later` (negative when `later` is earlier).
    public func seconds(until later: Timestamp) -> Double {
        Double(later.microsecondsSinceEpoch - microsecondsSinceEpoch) / 1_000_000
    }

    /// `2015-03-31 12:12:12.123456`: UTC without zone, microseconds only when non-zero, exactly as Python's
    /// `str(datetime)` prints it, which existing protocol-1 BPMS integrations parse.
    public var protocolOneText: String {
        let parts = CivilTime(self)
        var text = "\(parts.dateText) \(parts.timeText)"
        if parts.microsecond != 0 { text += "." + pad(parts.microsecond, 6) }
        return text
    }

    /// `2015-03-31T12:12:12.123456+00:00`: ISO 8601 with an explicit zone, as `return_time` is sent.
    public var iso8601Text: String {
        let parts = CivilTime(self)
        return "\(parts.dateText)T\(parts.timeText).\(pad(parts.microsecond, 6))+00:00"
    }
}

/// Calendar fields of a timestamp in UTC (proleptic Gregorian calendar).
private struct CivilTime {
    let year: Int64, month: Int64, day: Int64
    let hour: Int64, minute: Int64, second: Int64, microsecond: Int64

    init(_ timestamp: Timestamp) {
        let micros = timestamp.microsecondsSinceEpoch
        var days = micros / 86_400_000_000
        var remainder = micros % 86_400_000_000
        if remainder < 0 {
            remainder += 86_400_000_000
            days -= 1
        }
        microsecond = remainder % 1_000_000
        let secondsOfDay = remainder / 1_000_000
        hour = secondsOfDay / 3600
        minute = secondsOfDay / 60 % 60
        second = secondsOfDay % 60
        let date = CivilDate(daysSinceEpoch: days)
        (year, month, day) = (date.year, Int64(date.month), Int64(date.day))
    }

    var dateText: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }
    var timeText: String { "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))" }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
