import JSON

/// The statuses an `http@1` check accepts: codes (`200`), ranges (`"200-299"`) and classes (`"2xx"`).
struct StatusRule: Sendable, CustomStringConvertible {
    let ranges: [ClosedRange<Int>]
    let description: String

    static let successful = StatusRule(ranges: [200...299], description: "2xx")

    init(ranges: [ClosedRange<Int>], description: String) {
        self.ranges = ranges
        self.description = description
    }

    init(_ value: JSONValue) throws(CheckDataError) {
        let items = value.arrayValue ?? [value]
        var ranges: [ClosedRange<Int>] = []
        var names: [String] = []
        for item in items {
            if let code = item.numberValue?.int64Value, (100...599).contains(code) {
                ranges.append(Int(code)...Int(code))
                names.append(String(code))
            } else if let text = item.stringValue, let range = Self.range(text) {
                ranges.append(range)
                names.append(text)
            } else {
                throw CheckDataError("assert.status: \(item) is not a status code, a range like \"200-299\" or a class like \"2xx\"")
            }
        }
        guard !ranges.isEmpty else { throw CheckDataError("assert.status: the list is empty") }
        self.ranges = ranges
        description = names.joined(separator: ", ")
    }

    func admits(_ status: Int) -> Bool { ranges.contains { $0.contains(status) } }

    private static func range(_ text: String) -> ClosedRange<Int>? {
        let lower = text.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let digit = Int(lower.prefix(1)), (1...5).contains(digit) {
            return digit * 100...digit * 100 + 99
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 100 <= low, low <= high, high <= 599 else { return nil }
        return low...high
    }
}
