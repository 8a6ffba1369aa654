/// `email`, `idn-email` (RFC 5321/6531 mailboxes), `hostname`, `idn-hostname` (RFC 1123 and IDNA 2008),
/// `ipv4` and `ipv6` (RFC 2673 / RFC 4291 text forms).
enum NetworkFormats {
    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.unicodeScalars.allSatisfy(\.isASCIIDigit),
                part == "0" || !part.hasPrefix("0"), let value = Int(part)
            else { return false }
            return value <= 255
        }
    }

    static func isIPv6(_ text: String) -> Bool {
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.isASCIIHexDigit || $0 == ":" || $0 == "." }) else { return false }
        var address = text
        if address.contains(".") {
            // An embedded IPv4 address stands for the last two groups.
            guard let lastColon = address.lastIndex(of: ":"), isIPv4(String(address[address.index(after: lastColon)...])) else { return false }
            address = address[...lastColon] + "0:0"
        }
        func groups(_ part: String) -> [String] {
            part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
        let halves = address.components(separatedBy: "::")
        switch halves.count {
        case 1:
            let all = groups(address)
            return all.count == 8 && all.allSatisfy(isHexGroup)
        case 2:
            let all = groups(halves[0]) + groups(halves[1])
            return all.count <= 7 && all.allSatisfy(isHexGroup)
        default:
            return false
        }
    }

    private static func isHexGroup(_ group: String) -> Bool {
        (1...4).contains(group.count) && group.unicodeScalars.allSatisfy(\.isASCIIHexDigit)
    }

    // MARK: Host names

    static func isHostname(_ text: String, international: Bool) -> Bool {
        var name = text
        if international {
            // IDNA treats the ideographic and fullwidth full stops as label separators.
            name = String(String.UnicodeScalarView(name.unicodeScalars.map { ["\u{3002}", "\u{FF0E}", "\u{FF61}"].contains($0) ? "." : $0 }))
        }
        guard !name.isEmpty else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        var asciiLength = labels.count - 1
        // Each label in Unicode form, for the Bidi rule.
        var unicodeLabels: [[Unicode.Scalar]] = []
        for label in labels {
            guard !label.isEmpty, label.first != "-", label.last != "-" else { return false }
            let scalars = Array(label.unicodeScalars)
            if scalars.allSatisfy(\.isASCII) {
                guard scalars.count <= 63, scalars.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == "-" }) else { return false }
                asciiLength += scalars.count
                var unicode = scalars
                if scalars.count >= 4, scalars[2] == "-", scalars[3] == "-" {
                    // Only A-labels ("xn--") may have hyphens there; they must decode to a valid U-label that
                    // encodes back to the same text.
                    let encodedPart = Array(label.lowercased().unicodeScalars.dropFirst(4))
                    guard label.lowercased().hasPrefix("xn--"), let decoded = Punycode.decode(encodedPart),
                        IDNA.isValidULabel(decoded), Punycode.encode(decoded) == encodedPart
                    else { return false }
                    unicode = decoded
                }
                unicodeLabels.append(unicode)
            } else {
                guard international, IDNA.isValidULabel(scalars), let encoded = Punycode.encode(scalars), encoded.count + 4 <= 63 else {
                    return false
                }
                asciiLength += encoded.count + 4
                unicodeLabels.append(scalars)
            }
        }
        return asciiLength <= 253 && Bidi.satisfiesRule(unicodeLabels)
    }

    // MARK: Mailboxes

    static func isEmail(_ text: String, international: Bool) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard let at = scalars.lastIndex(of: "@"), at > 0, at < scalars.count - 1 else { return false }
        let local = scalars[..<at]
        let domain = scalars[(at + 1)...]
        guard isLocalPart(local, international: international) else { return false }
        if domain.first == "[" {
            guard domain.last == "]" else { return false }
            let literal = String(String.UnicodeScalarView(domain.dropFirst().dropLast()))
            if literal.lowercased().hasPrefix("ipv6:") { return isIPv6(String(literal.dropFirst(5))) }
            return isIPv4(literal)
        }
        return isHostname(String(String.UnicodeScalarView(domain)), international: international)
    }

    private static let atomSpecials = Set("!#$%&'*+-/=?^_`{|}~".unicodeScalars)

    private static func isLocalPart(_ local: ArraySlice<Unicode.Scalar>, international: Bool) -> Bool {
        guard String(String.UnicodeScalarView(local)).utf8.count <= 64 else { return false }
        if local.first == "\"" {
            guard local.count >= 2, local.last == "\"" else { return false }
            var escaped = false
            for scalar in local.dropFirst().dropLast() {
                if escaped {
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "\"" || (scalar.value < 0x20 && scalar != "\t") || (!international && scalar.value > 0x7E) {
                    return false
                }
            }
            return !escaped
        }
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        return atoms.allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { scalar in
                scalar.isASCIILetter || scalar.isASCIIDigit || atomSpecials.contains(scalar)
                    || (international && scalar.value >= 0x80 && scalar != "\u{FF20}")
            }
        }
    }
}
