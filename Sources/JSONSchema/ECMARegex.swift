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
        var translator = Translator(Array(source.unicodeScalars))
        icuPattern = try translator.translate()
    }

    static let whitespaceClassBody = #"\t\n\x{B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"#
    static let wordClassBody = "A-Za-z0-9_"
    static let digitClassBody = "0-9"
}

private struct Translator {
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

    /// After a backslash outside a class.
    mutating func atomEscape() throws(SyntaxError) -> Bool {
        guard let scalar = current else { throw SyntaxError(reason: "\\ at end of pattern") }
        position += 1
        switch scalar {
        case "b":
            output.append("(?:(?<=[\(ECMARegex.wordClassBody)])(?![\(ECMARegex.wordClassBody)])|(?<![\(ECMARegex.wordClassBody)])(?=[\(ECMARegex.wordClassBody)]))")
            return false
        case "B":
            output.append("(?:(?<=[\(ECMARegex.wordClassBody)])(?=[\(ECMARegex.wordClassBody)])|(?<![\(ECMARegex.wordClassBody)])(?![\(ECMARegex.wordClassBody)]))")
            return false
        case "1"..."9":
            position -= 1
            let reference = number()!
            backreferences.append(reference)
            output.append("\\\(reference)")
        case "k":
            guard current == "<" else { throw SyntaxError(reason: "invalid escape \\k") }
            position += 1
            let name = try groupName()
            namedBackreferences.append(name)
            output.append("\\k<\(name)>")
        default:
            position -= 1
            if let set = try classEscapeSet() {
                output.append("[\(set)]")
            } else {
                appendLiteral(try characterEscape(inClass: false))
            }
        }
        return true
    }

    /// `\d \D \s \S \w \W \p{…} \P{…}` as an ICU set body; nil when the escape is not one of them.
    mutating func classEscapeSet() throws(SyntaxError) -> String? {
        guard let scalar = current else { return nil }
        let body: String
        switch scalar {
        case "d": body = ECMARegex.digitClassBody
        case "D": body = "^" + ECMARegex.digitClassBody
        case "s": body = ECMARegex.whitespaceClassBody
        case "S": body = "^" + ECMARegex.whitespaceClassBody
        case "w": body = ECMARegex.wordClassBody
        case "W": body = "^" + ECMARegex.wordClassBody
        case "p", "P":
            guard peek(1) == "{" else { throw SyntaxError(reason: "invalid property escape") }
            var index = position + 2
            var name = ""
            while index < scalars.count, scalars[index] != "}" {
                let part = scalars[index]
                guard part.isASCIILetter || part.isASCIIDigit || part == "_" || part == "=" else {
                    throw SyntaxError(reason: "invalid property name")
                }
                name.unicodeScalars.append(part)
                index += 1
            }
            guard index < scalars.count, !name.isEmpty else { throw SyntaxError(reason: "invalid property escape") }
            position = index + 1
            return "\\\(scalar){\(name)}"
        default: return nil
        }
        position += 1
        return body
    }

    /// A single-character escape (after the backslash); refuses identity escapes that ECMA's Unicode mode forbids.
    mutating func characterEscape(inClass: Bool) throws(SyntaxError) -> Unicode.Scalar {
        let scalar = scalars[position]
        position += 1
        switch scalar {
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        case "0":
            if let next = current, next.isASCIIDigit { throw SyntaxError(reason: "invalid octal escape") }
            return "\0"
        case "c":
            guard let letter = current, letter.isASCIILetter else { throw SyntaxError(reason: "invalid control escape \\c") }
            position += 1
            return Unicode.Scalar(letter.value % 32)!
        case "x":
            guard let value = hexDigits(count: 2) else { throw SyntaxError(reason: "invalid escape \\x") }
            return Unicode.Scalar(value)!
        case "u":
            return try unicodeEscape()
        case "^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/":
            return scalar
        case "-" where inClass:
            return scalar
        default:
            throw SyntaxError(reason: "invalid escape \\\(scalar)")
        }
    }

    mutating func hexDigits(count: Int) -> UInt32? {
        guard position + count <= scalars.count else { return nil }
        var value: UInt32 = 0
        for scalar in scalars[position..<position + count] {
            guard let digit = UInt32(String(scalar), radix: 16) else { return nil }
            value = value * 16 + digit
        }
        position += count
        return value
    }

    mutating func unicodeEscape() throws(SyntaxError) -> Unicode.Scalar {
        if current == "{" {
            position += 1
            var value: UInt32 = 0
            var digits = 0
            while let scalar = current, scalar != "}" {
                guard let digit = UInt32(String(scalar), radix: 16), value <= 0x10FFFF else {
                    throw SyntaxError(reason: "invalid escape \\u{…}")
                }
                value = value * 16 + digit
                digits += 1
                position += 1
            }
            guard current == "}", digits > 0, let scalar = Unicode.Scalar(value) else { throw SyntaxError(reason: "invalid escape \\u{…}") }
            position += 1
            return scalar
        }
        guard let unit = hexDigits(count: 4) else { throw SyntaxError(reason: "invalid escape \\u") }
        if (0xD800...0xDBFF).contains(unit), current == "\\", peek(1) == "u" {
            let saved = position
            position += 2
            if let low = hexDigits(count: 4), (0xDC00...0xDFFF).contains(low) {
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
            }
            position = saved
        }
        // A lone surrogate cannot occur in a Swift string, so it can never match.
        return Unicode.Scalar(unit) ?? "\u{FFFD}"
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
