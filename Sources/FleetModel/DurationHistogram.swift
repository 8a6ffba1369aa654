import Foundation

/// Run durations counted in buckets that grow by 2^(1/8) (about 9 %) from one millisecond, so that any number of
/// roll-ups merge by adding counts and a percentile read from them is within 4.5 % of the true one (the geometric
/// middle of its bucket, kept within the smallest and largest duration seen).
///
/// Stored as text, `index:count` pairs separated by spaces, in index order: bucket 0 holds durations under 1 ms,
/// bucket i ≥ 1 those in [2^((i-1)/8), 2^(i/8)) ms.
public struct DurationHistogram: Sendable, Equatable {
    public private(set) var counts: [Int: Int64] = [:]
    public private(set) var minimum: Double?
    public private(set) var maximum: Double?

    public init() {}

    public var total: Int64 { counts.values.reduce(0, +) }

    public static func bucket(ofSeconds seconds: Double) -> Int {
        let milliseconds = seconds * 1000
        guard milliseconds >= 1 else { return 0 }
        return min(Int((log2(milliseconds) * 8).rounded(.down)) + 1, 400)
    }

    /// The geometric middle of bucket `index`, in seconds.
    static func middleSeconds(of index: Int) -> Double {
        guard index > 0 else { return 0.0005 }
        return pow(2, (Double(index) - 0.5) / 8) / 1000
    }

    public mutating func add(seconds: Double) {
        counts[Self.bucket(ofSeconds: seconds), default: 0] += 1
        minimum = Swift.min(minimum ?? seconds, seconds)
        maximum = Swift.max(maximum ?? seconds, seconds)
    }

    public mutating func merge(_ other: DurationHistogram) {
        for (index, count) in other.counts { counts[index, default: 0] += count }
        if let low = other.minimum { minimum = Swift.min(minimum ?? low, low) }
        if let high = other.maximum { maximum = Swift.max(maximum ?? high, high) }
    }

    /// The nearest-rank percentile (`fraction` in (0, 1]), in seconds; nil when nothing was counted.
    public func percentile(_ fraction: Double) -> Double? {
        let total = self.total
        guard total > 0, let minimum, let maximum else { return nil }
        let rank = Swift.max(1, Int64((fraction * Double(total)).rounded(.up)))
        var seen: Int64 = 0
        for index in counts.keys.sorted() {
            seen += counts[index]!
            if seen >= rank { return Swift.min(Swift.max(Self.middleSeconds(of: index), minimum), maximum) }
        }
        return maximum
    }

    public var storedText: String {
        counts.keys.sorted().map { "\($0):\(counts[$0]!)" }.joined(separator: " ")
    }

    /// The histogram stored as `storedText` with its bounds; malformed pairs are skipped. Read byte by byte: a
    /// summary over a year reads tens of thousands of these.
    public init(storedText: String, minimum: Double?, maximum: Double?) {
        var index = 0
        var count: Int64 = 0
        var readingCount = false
        var digits = 0
        func finish() {
            if readingCount && digits > 0 { counts[index, default: 0] += count }
            (index, count, readingCount, digits) = (0, 0, false, 0)
        }
        for byte in storedText.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int(byte - UInt8(ascii: "0"))
                if readingCount { count = count &* 10 &+ Int64(digit) } else { index = index &* 10 &+ digit }
                digits += 1
            case UInt8(ascii: ":"):
                readingCount = digits > 0
                digits = 0
            default:
                finish()
            }
        }
        finish()
        self.minimum = minimum
        self.maximum = maximum
    }
}
