import Foundation

/// A compiled `pattern` regular expression with ECMA-262 meaning. Matches anywhere in the string unless anchored,
/// as JSON Schema says. Public so that what a schema's `format: regex` accepts and what a check matches with are
/// the same language.
///
/// A backtracking engine can take exponential time on patterns like `^(a+)+$`; each match runs under a time
/// budget, and running out of it is reported as its own outcome instead of hanging the validation.
public struct Pattern: Sendable {
    public enum Outcome {
        case matched
        case notMatched
        case timedOut
    }

    public static let timeBudget: Duration = .milliseconds(100)

    public let source: String
    let expression: NSRegularExpression
    /// The linear-time matcher, when the pattern is simple enough for it.
    let simple: SimplePattern?

    public init(_ source: String) throws {
        self.source = source
        let translated = try ECMARegex(source)
        self.expression = try NSRegularExpression(pattern: translated.icuPattern)
        self.simple = SimplePattern(source)
    }

    public func match(_ string: String) -> Outcome {
        if let simple { return simple.matches(string) ? .matched : .notMatched }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.timeBudget)
        var outcome = Outcome.notMatched
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        // With .reportProgress the block is also called periodically while a long match runs, which is where the
        // deadline is checked.
        expression.enumerateMatches(in: string, options: [.reportProgress], range: range) { result, _, stop in
            if result != nil {
                outcome = .matched
                stop.pointee = true
            } else if clock.now > deadline {
                outcome = .timedOut
                stop.pointee = true
            }
        }
        return outcome
    }

    public func matches(_ string: String) -> Bool {
        match(string) == .matched
    }

    var timeoutMessage: String {
        "could not be checked against the pattern \(source) within \(Self.timeBudget) (the pattern backtracks too much)"
    }
}
