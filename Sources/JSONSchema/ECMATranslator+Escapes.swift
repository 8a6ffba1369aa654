

extension ECMATranslator {
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
}
