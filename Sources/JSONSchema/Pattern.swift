import Foundation

/// A compiled `pattern` regular expression. Matches anywhere in the string unless anchored, as JSON Schema says.
struct Pattern: Sendable {
    let source: String
    // NSRegularExpression is immutable once created and documented as safe to use from any thread.
    nonisolated(unsafe) let expression: NSRegularExpression

    init(_ source: String) throws {
        self.source = source
        self.expression = try NSRegularExpression(pattern: source)
    }

    func matches(_ string: String) -> Bool {
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        return expression.firstMatch(in: string, options: [], range: range) != nil
    }
}
