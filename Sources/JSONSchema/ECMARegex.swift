/// Checks an ECMA-262 regular expression (Unicode mode, as JSON Schema uses them) and rewrites it into the ICU
/// syntax that `NSRegularExpression` runs, so that it means what ECMA-262 says it means.
///
/// The differences that matter: `\d`, `\w`, `\b` are ASCII-only and `\s` is ECMA's own whitespace set (ICU's are
/// Unicode-wide); `$` matches only at the very end (ICU also matches before a final newline); `.` stops only at
/// ECMA's four line terminators; `[` inside a class is a literal; `[]` and `[^]` are valid. Syntax that ICU, Python
/// or PCRE accept but ECMA-262 does not (`\a`, `(?i)`, `(?P<name>…)`, possessive quantifiers) is refused.
struct ECMARegex {
    struct SyntaxError: Error, Equatable {
        let reason: String
    }

    /// The ICU pattern with the same meaning.
    let icuPattern: String

    init(_ source: String) throws(SyntaxError) {
        var translator = ECMATranslator(Array(source.unicodeScalars))
        icuPattern = try translator.translate()
    }

    static let whitespaceClassBody = #"\t\n\x{B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"#
    static let wordClassBody = "A-Za-z0-9_"
    static let digitClassBody = "0-9"
}

struct ECMATranslator {
    let scalars: [Unicode.Scalar]
    var position = 0
    var output = ""
    var groupNames: Set<String> = []
    var capturingGroups = 0
    var backreferences: [Int] = []
    var namedBackreferences: [String] = []

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    typealias SyntaxError = ECMARegex.SyntaxError

    var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    mutating func translate() throws(SyntaxError) -> String {
        try disjunction()
        if current != nil { throw SyntaxError(reason: "unmatched ')'") }
        if let reference = backreferences.first(where: { $0 > capturingGroups }) {
            throw SyntaxError(reason: "back reference \\\(reference) names no group")
        }
        if let name = namedBackreferences.first(where: { !groupNames.contains($0) }) {
            throw SyntaxError(reason: "back reference \\k<\(name)> names no group")
        }
        return output
    }

    mutating func disjunction() throws(SyntaxError) {
        try alternative()
        while current == "|" {
            position += 1
            output.append("|")
            try alternative()
        }
    }

    mutating func alternative() throws(SyntaxError) {
        while let scalar = current, scalar != "|", scalar != ")" {
            let quantifiable = try term()
            if try quantifier() && !quantifiable {
                throw SyntaxError(reason: "nothing to repeat before '\(scalars[position - 1])'")
            }
        }
    }

    /// Translates one term; answers whether a quantifier may follow it.
    mutating func term() throws(SyntaxError) -> Bool {
        let scalar = scalars[position]
        position += 1
        switch scalar {
        case "^":
            output.append("^")
            return false
        case "$":
            output.append(#"\z"#)
            return false
        case ".":
            output.append(#"[^\n\r\x{2028}\x{2029}]"#)
            return true
        case "\\":
            return try atomEscape()
        case "[":
            try characterClass()
            return true
        case "(":
            return try group()
        case "*", "+", "?":
            throw SyntaxError(reason: "nothing to repeat before '\(scalar)'")
        case "{":
            throw SyntaxError(reason: isQuantifierBrace() ? "nothing to repeat before '{'" : "lone '{'")
        case "}", "]":
            throw SyntaxError(reason: "lone '\(scalar)'")
        default:
            appendLiteral(scalar)
            return true
        }
    }

    func isQuantifierBrace() -> Bool {
        var index = position
        var digits = 0
        while index < scalars.count, scalars[index].isASCIIDigit { index += 1; digits += 1 }
        return digits > 0 && index < scalars.count && (scalars[index] == "}" || scalars[index] == ",")
    }

    /// Parses a quantifier if one follows; answers whether there was one.
    mutating func quantifier() throws(SyntaxError) -> Bool {
        guard let scalar = current else { return false }
        switch scalar {
        case "*", "+", "?":
            position += 1
            output.unicodeScalars.append(scalar)
        case "{":
            let start = position
            position += 1
            let low = number()
            guard let low else {
                throw SyntaxError(reason: "lone '{'")
            }
            var high: Int? = low
            if current == "," {
                position += 1
                high = number()
            }
            guard current == "}" else {
                position = start
                throw SyntaxError(reason: "incomplete quantifier")
            }
            position += 1
            if let high, high < low { throw SyntaxError(reason: "numbers out of order in {\(low),\(high)} quantifier") }
            output.append("{\(low)" + (high == low ? "" : ",\(high.map(String.init) ?? "")") + "}")
        default:
            return false
        }
        if current == "?" {
            position += 1
            output.append("?")
        }
        return true
    }

    mutating func number() -> Int? {
        var value: Int?
        while let scalar = current, scalar.isASCIIDigit {
            value = min((value ?? 0) * 10 + Int(scalar.value - 48), 1_000_000)
            position += 1
        }
        return value
    }

    mutating func group() throws(SyntaxError) -> Bool {
        var quantifiable = true
        if current == "?" {
            position += 1
            switch (current, peek(1)) {
            case (":", _):
                position += 1
                output.append("(?:")
            case ("=", _), ("!", _):
                output.append("(?\(current!)")
                position += 1
                quantifiable = false
            case ("<", "="), ("<", "!"):
                output.append("(?<\(peek(1)!)")
                position += 2
                quantifiable = false
            case ("<", _):
                position += 1
                let name = try groupName()
                guard groupNames.insert(name).inserted else { throw SyntaxError(reason: "duplicate group name \(name)") }
                capturingGroups += 1
                output.append("(?<\(name)>")
            default:
                throw SyntaxError(reason: "invalid group '(?\(current.map { String($0) } ?? "")'")
            }
        } else {
            capturingGroups += 1
            output.append("(")
        }
        try disjunction()
        guard current == ")" else { throw SyntaxError(reason: "missing ')'") }
        position += 1
        output.append(")")
        return quantifiable
    }

    mutating func groupName() throws(SyntaxError) -> String {
        var name = ""
        while let scalar = current, scalar != ">" {
            let valid = scalar.isASCIILetter || scalar == "_" || scalar == "$" || (!name.isEmpty && scalar.isASCIIDigit)
                || (scalar.value > 0x7F && scalar.properties.isAlphabetic)
            guard valid else { throw SyntaxError(reason: "invalid group name") }
            name.unicodeScalars.append(scalar)
            position += 1
        }
        guard current == ">", !name.isEmpty else { throw SyntaxError(reason: "invalid group name") }
        position += 1
        return name
    }

    mutating func characterClass() throws(SyntaxError) {
        var negated = false
        if current == "^" {
            negated = true
            position += 1
        }
        var body = ""
        var isEmpty = true
        while let scalar = current, scalar != "]" {
            let low = try classAtom()
            isEmpty = false
            if current == "-", let next = peek(1), next != "]" {
                position += 1
                let high = try classAtom()
                guard case .scalar(let lowScalar) = low, case .scalar(let highScalar) = high else {
                    throw SyntaxError(reason: "a class escape cannot bound a range")
                }
                guard lowScalar.value <= highScalar.value else { throw SyntaxError(reason: "range out of order in character class") }
                body += Self.setLiteral(lowScalar) + "-" + Self.setLiteral(highScalar)
            } else {
                switch low {
                case .scalar(let literal): body += Self.setLiteral(literal)
                case .set(let set): body += "[\(set)]"
                }
            }
            _ = scalar
        }
        guard current == "]" else { throw SyntaxError(reason: "missing ']'") }
        position += 1
        switch (isEmpty, negated) {
        case (true, false): output.append("(?!)")
        case (true, true): output.append(#"[\x{0}-\x{10FFFF}]"#)
        default: output.append("[" + (negated ? "^" : "") + body + "]")
        }
    }

    enum ClassAtom {
        case scalar(Unicode.Scalar)
        case set(String)
    }

    mutating func classAtom() throws(SyntaxError) -> ClassAtom {
        let scalar = scalars[position]
        position += 1
        guard scalar == "\\" else { return .scalar(scalar) }
        guard current != nil else { throw SyntaxError(reason: "\\ at end of pattern") }
        if current == "b" {
            position += 1
            return .scalar("\u{08}")
        }
        if let set = try classEscapeSet() { return .set(set) }
        return .scalar(try characterEscape(inClass: true))
    }

    /// A literal inside an ICU set: ASCII punctuation is escaped, controls and non-ASCII written as `\x{…}`.
    static func setLiteral(_ scalar: Unicode.Scalar) -> String {
        if scalar.isASCIILetter || scalar.isASCIIDigit { return String(scalar) }
        if scalar.value < 0x20 || scalar.value >= 0x7F { return "\\x{\(String(scalar.value, radix: 16))}" }
        return "\\" + String(scalar)
    }

    mutating func appendLiteral(_ scalar: Unicode.Scalar) {
        if scalar.isASCIILetter || scalar.isASCIIDigit || scalar == " " {
            output.unicodeScalars.append(scalar)
        } else {
            output.append(Self.setLiteral(scalar))
        }
    }
}
