import HTTPTypes

/// The `wait` preference of a request's `Prefer` headers (RFC 7240): seconds the client is willing to wait for an
/// answer. Preferences are a comma-separated list of `token[=word]` with `;`-separated parameters; only the first
/// `wait` counts, and one whose value is not a number of seconds is ignored, as RFC 7240 asks of a preference a
/// server does not understand. Read from the header's bytes, since every held poll's request carries one.
enum WaitPreference {
    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!

    private enum Found {
        case absent
        case unreadable
        case seconds(Int)
    }

    /// The seconds asked for, nil when no `wait` preference is given or it cannot be read.
    static func seconds(in headers: HTTPFields) -> Int? {
        for value in headers[values: prefer] {
            switch wait(in: Array(value.utf8)) {
            case .absent: continue
            case .unreadable: return nil
            case .seconds(let seconds): return seconds
            }
        }
        return nil
    }

    /// The `wait` among one header value's preferences: cut at commas, except inside a quoted string.
    private static func wait(in bytes: [UInt8]) -> Found {
        var rest = bytes[...]
        while true {
            let end = firstIndexOutsideQuotes(of: UInt8(ascii: ","), in: rest) ?? rest.endIndex
            let found = wait(inPreference: rest[..<end])
            guard case .absent = found else { return found }
            guard end < rest.endIndex else { return .absent }
            rest = rest[(end + 1)...]
        }
    }

    /// One preference, `token[=word]` before its first `;` parameter.
    private static func wait(inPreference bytes: ArraySlice<UInt8>) -> Found {
        var head = bytes
        if let parameters = firstIndexOutsideQuotes(of: UInt8(ascii: ";"), in: bytes) { head = bytes[..<parameters] }
        guard let equals = head.firstIndex(of: UInt8(ascii: "=")) else { return isWait(head) ? .unreadable : .absent }
        guard isWait(head[..<equals]) else { return .absent }
        var word = trimmed(head[(equals + 1)...])
        if word.count >= 2, word.first == UInt8(ascii: "\""), word.last == UInt8(ascii: "\"") { word = word.dropFirst().dropLast() }
        guard !word.isEmpty, word.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return .unreadable }
        // Delta-seconds past any sensible cap read as the largest.
        return .seconds(Int(String(decoding: word, as: UTF8.self)) ?? Int.max)
    }

    /// Whether a preference's name, spaces aside, is `wait` in any case.
    private static func isWait(_ name: ArraySlice<UInt8>) -> Bool {
        trimmed(name).elementsEqual("wait".utf8) { lowercased($0) == $1 }
    }

    private static func firstIndexOutsideQuotes(of separator: UInt8, in bytes: ArraySlice<UInt8>) -> Int? {
        var quoted = false
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if quoted && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if byte == separator && !quoted {
                return index
            }
        }
        return nil
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return [] }
        return bytes[first...last]
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
