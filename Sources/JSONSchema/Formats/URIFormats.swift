/// RFC 3986 `uri` and `uri-reference`, RFC 3987 `iri` and `iri-reference` (non-ASCII allowed where RFC 3987
/// allows it), and RFC 6570 `uri-template`, checked against their grammars.
enum URIFormats {
    static func isURI(_ text: String, international: Bool) -> Bool {
        guard let reference = Parts(Array(text.unicodeScalars)), reference.scheme != nil else { return false }
        return reference.isValid(international: international)
    }

    static func isURIReference(_ text: String, international: Bool) -> Bool {
        guard let reference = Parts(Array(text.unicodeScalars)) else { return false }
        return reference.isValid(international: international)
    }

    private static let subDelimiters = Set("!$&'()*+,;=".unicodeScalars)

    static func isUnreserved(_ scalar: Unicode.Scalar, international: Bool) -> Bool {
        scalar.isASCIILetter || scalar.isASCIIDigit || "-._~".unicodeScalars.contains(scalar)
            || (international && isUCSChar(scalar))
    }

    private static func isUCSChar(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        guard value >= 0xA0 else { return false }
        // Noncharacters and the specials block are not ucschar; private use is allowed in queries only, but
        // telling the two apart is not worth refusing an otherwise valid IRI.
        return !(0xFDD0...0xFDEF).contains(value) && value & 0xFFFE != 0xFFFE
    }

    /// `allowed` characters, sub-delimiters and unreserved characters, and `%HH` triplets.
    static func isEncoded(_ scalars: ArraySlice<Unicode.Scalar>, extra: String, international: Bool) -> Bool {
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "%" {
                guard index + 2 < scalars.endIndex, scalars[index + 1].isASCIIHexDigit, scalars[index + 2].isASCIIHexDigit
                else { return false }
                index += 3
                continue
            }
            guard isUnreserved(scalar, international: international) || subDelimiters.contains(scalar)
                || extra.unicodeScalars.contains(scalar)
            else { return false }
            index += 1
        }
        return true
    }

    private struct Parts {
        var scheme: ArraySlice<Unicode.Scalar>?
        var authority: ArraySlice<Unicode.Scalar>?
        var path: ArraySlice<Unicode.Scalar>
        var query: ArraySlice<Unicode.Scalar>?
        var fragment: ArraySlice<Unicode.Scalar>?

        init?(_ scalars: [Unicode.Scalar]) {
            var rest = scalars[...]
            if let hash = rest.firstIndex(of: "#") {
                fragment = rest[(hash + 1)...]
                rest = rest[..<hash]
            }
            if let question = rest.firstIndex(of: "?") {
                query = rest[(question + 1)...]
                rest = rest[..<question]
            }
            let firstSlash = rest.firstIndex(of: "/") ?? rest.endIndex
            if let colon = rest[..<firstSlash].firstIndex(of: ":") {
                let candidate = rest[..<colon]
                // A colon in the first segment is only allowed after a scheme.
                guard let first = candidate.first, first.isASCIILetter,
                    candidate.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "+-.".unicodeScalars.contains($0) })
                else { return nil }
                scheme = candidate
                rest = rest[(colon + 1)...]
            }
            if rest.starts(with: ["/", "/"]) {
                rest = rest.dropFirst(2)
                let end = rest.firstIndex(of: "/") ?? rest.endIndex
                authority = rest[..<end]
                rest = rest[end...]
            }
            path = rest
        }

        func isValid(international: Bool) -> Bool {
            if let authority, !URIFormats.isAuthority(authority, international: international) { return false }
            for segment in path.split(separator: "/", omittingEmptySubsequences: false)
            where !URIFormats.isEncoded(segment, extra: ":@", international: international) {
                return false
            }
            if let query, !URIFormats.isEncoded(query, extra: ":@/?", international: international) { return false }
            if let fragment, !URIFormats.isEncoded(fragment, extra: ":@/?", international: international) { return false }
            return true
        }
    }

    private static func isAuthority(_ authority: ArraySlice<Unicode.Scalar>, international: Bool) -> Bool {
        var host = authority
        if let at = authority.firstIndex(of: "@") {
            guard isEncoded(authority[..<at], extra: ":", international: international) else { return false }
            host = authority[(at + 1)...]
        }
        if host.first == "[" {
            guard let close = host.firstIndex(of: "]") else { return false }
            let literal = String(String.UnicodeScalarView(host[(host.startIndex + 1)..<close]))
            let port = host[(close + 1)...]
            guard port.isEmpty || (port.first == ":" && port.dropFirst().allSatisfy(\.isASCIIDigit)) else { return false }
            return NetworkFormats.isIPv6(literal) || isIPvFuture(literal)
        }
        if let colon = host.firstIndex(of: ":") {
            guard host[(colon + 1)...].allSatisfy(\.isASCIIDigit) else { return false }
            host = host[..<colon]
        }
        return isEncoded(host, extra: "", international: international)
    }

    private static func isIPvFuture(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "v" || scalars.first == "V", let dot = scalars.firstIndex(of: "."), dot > 1,
            scalars[1..<dot].allSatisfy(\.isASCIIHexDigit), dot + 1 < scalars.count
        else { return false }
        return scalars[(dot + 1)...].allSatisfy { isUnreserved($0, international: false) || subDelimiters.contains($0) || $0 == ":" }
    }

    /// RFC 6570 level 4 templates: literals and `{operator varspec,…}` expressions.
    static func isURITemplate(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "{" {
                guard let close = scalars[index...].firstIndex(of: "}"), isExpression(scalars[(index + 1)..<close]) else { return false }
                index = close + 1
                continue
            }
            if scalar == "%" {
                guard index + 2 < scalars.count, scalars[index + 1].isASCIIHexDigit, scalars[index + 2].isASCIIHexDigit else { return false }
                index += 3
                continue
            }
            let forbidden = "\"<>\\^`{|}".unicodeScalars.contains(scalar) || scalar.value <= 0x20 || scalar.value == 0x7F
            guard !forbidden else { return false }
            index += 1
        }
        return true
    }

    private static func isExpression(_ body: ArraySlice<Unicode.Scalar>) -> Bool {
        var body = body
        if let first = body.first, "+#./;?&".unicodeScalars.contains(first) { body = body.dropFirst() }
        guard !body.isEmpty else { return false }
        for varspec in body.split(separator: ",", omittingEmptySubsequences: false) {
            var name = varspec
            if varspec.last == "*" {
                name = varspec.dropLast()
            } else if let colon = varspec.firstIndex(of: ":") {
                let length = varspec[(colon + 1)...]
                guard (1...4).contains(length.count), length.first != "0", length.allSatisfy(\.isASCIIDigit) else { return false }
                name = varspec[..<colon]
            }
            guard isVariableName(name) else { return false }
        }
        return true
    }

    private static func isVariableName(_ name: ArraySlice<Unicode.Scalar>) -> Bool {
        guard !name.isEmpty, name.first != ".", name.last != "." else { return false }
        var index = name.startIndex
        var previousWasDot = false
        while index < name.endIndex {
            let scalar = name[index]
            if scalar == "%" {
                guard index + 2 < name.endIndex, name[index + 1].isASCIIHexDigit, name[index + 2].isASCIIHexDigit else { return false }
                index += 3
                previousWasDot = false
                continue
            }
            if scalar == "." {
                guard !previousWasDot else { return false }
                previousWasDot = true
            } else {
                guard scalar.isASCIILetter || scalar.isASCIIDigit || scalar == "_" else { return false }
                previousWasDot = false
            }
            index += 1
        }
        return true
    }
}
