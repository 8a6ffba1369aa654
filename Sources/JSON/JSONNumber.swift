/// A JSON number, compared by value: `1` and `1.0` are equal.
///
/// Integers that fit in 64 bits are kept exactly; everything else is a `Double`. A parsed number whose text the
/// `Double` would not write back as it was (`1.2345678901234567890123456789e+29`, `0.10000000000000000555`, `-0`,
/// `1E5`) also keeps its text, so that a document passed through comes back as it was sent.
public enum JSONNumber: Sendable {
    case integer(Int64)
    case double(Double)
    /// The number as written, with its nearest `Double` for comparisons and arithmetic.
    case text(String, value: Double)

    /// True when the number has no fractional part (`1.0` is an integer in JSON Schema).
    public var isInteger: Bool {
        switch self {
        case .integer: true
        case .double(let value), .text(_, let value): value.isFinite && value.rounded(.towardZero) == value
        }
    }

    public var doubleValue: Double {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value), .text(_, let value): value
        }
    }

    /// The exact integer value, when the number is an integer that fits in 64 bits.
    public var int64Value: Int64? {
        switch self {
        case .integer(let value): value
        // Every integer that fits was parsed as `.integer`; a `Double` at -2^63 stands for one just below it
        // (-9223372036854775809 rounds there), which does not fit.
        case .double(let value), .text(_, let value): isInteger && value > -0x1p63 ? Int64(exactly: value) : nil
        }
    }
}

extension JSONNumber: Comparable, Hashable {
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if case .integer(let left) = lhs, case .integer(let right) = rhs { return left == right }
        if let left = lhs.int64Value, let right = rhs.int64Value { return left == right }
        return lhs.doubleValue == rhs.doubleValue
    }

    public static func < (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if let left = lhs.int64Value, let right = rhs.int64Value { return left < right }
        return lhs.doubleValue < rhs.doubleValue
    }

    public func hash(into hasher: inout Hasher) {
        // Equal numbers must hash alike whatever their storage.
        if let exact = int64Value {
            hasher.combine(exact)
        } else {
            hasher.combine(doubleValue)
        }
    }
}

extension JSONNumber: CustomStringConvertible {
    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .double(let value): value.description
        case .text(let text, _): text
        }
    }
}
