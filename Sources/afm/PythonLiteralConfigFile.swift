/// Reads SLAMon AFM configuration files: `KEY = value` lines where the value is a Python literal
/// (`60`, `2.5`, `'text'`, `"text"`, `True`, `False`, `None`). `#` starts a comment; blank lines are skipped.
///
/// Like Flask's `from_pyfile`, only upper-case keys are configuration; others are ignored.
enum PythonLiteralConfigFile {
    enum Literal: Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        case none

        /// The literal as text for typed parsing (`True` → `true`).
        var text: String? {
            switch self {
            case .string(let value): value
            case .integer(let value): String(value)
            case .float(let value): String(value)
            case .bool(let value): value ? "true" : "false"
            case .none: nil
            }
        }
    }

    struct ParseError: Error, Equatable {
        let line: Int
        let reason: String
    }

    static func parse(_ text: String) throws(ParseError) -> [String: Literal] {
        var values: [String: Literal] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComment(String(rawLine)).trimmingWhitespace()
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, reason: "expected KEY = value")
            }
            let key = String(line[..<equals]).trimmingWhitespace()
            let valueText = String(line[line.index(after: equals)...]).trimmingWhitespace()
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ParseError(line: index + 1, reason: "'\(key)' is not a valid key")
            }
            guard let literal = parseLiteral(valueText) else {
                throw ParseError(line: index + 1, reason: "value of \(key) is not a number, quoted string, True, False or None")
            }
            if key == key.uppercased() { values[key] = literal }
        }
        return values
    }

    private static func parseLiteral(_ text: String) -> Literal? {
        switch text {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return Literal.none
        default: break
        }
        if let quote = text.first, quote == "'" || quote == "\"", text.count >= 2, text.last == quote {
            return .string(unescape(String(text.dropFirst().dropLast())))
        }
        let digits = text.replacingUnderscores()
        if let integer = Int64(digits) { return .integer(integer) }
        if let float = Double(digits), float.isFinite { return .float(float) }
        return nil
    }

    /// Removes a `#` comment that is not inside quotes.
    private static func stripComment(_ line: String) -> String {
        var quote: Character?
        var result = ""
        var escaped = false
        for character in line {
            if escaped {
                escaped = false
            } else if character == "\\" && quote != nil {
                escaped = true
            } else if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "#" {
                break
            }
            result.append(character)
        }
        return result
    }

    private static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }

    fileprivate func replacingUnderscores() -> String {
        // Python allows 1_000 in numbers.
        String(filter { $0 != "_" })
    }
}
