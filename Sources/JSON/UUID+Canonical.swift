import Foundation

/// The 8-4-4-4-12 text of ids, on the wire and in the stores, read and written without the C library.
///
/// Foundation reads `UUID(uuidString:)` with `sscanf` and writes `uuidString` with `snprintf`, which with the
/// lower-casing after it took about 1.5 % of afm's CPU samples under load (this code: 0.3 %): every poll, result and
/// read parses or prints ids.
extension UUID {
    /// The canonical lower-case 8-4-4-4-12 form used on the wire and in the stores.
    public var canonical: String {
        let bytes = uuid
        return withUnsafeBytes(of: bytes) { raw in
            String(unsafeUninitializedCapacity: 36) { text in
                var at = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    text[at] = Self.lowerHexDigits[Int(raw[index] >> 4)]
                    text[at + 1] = Self.lowerHexDigits[Int(raw[index] & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }

    /// The id of an 8-4-4-4-12 text of hexadecimal digits, upper or lower case; nil for anything else (no braces,
    /// no URN prefix, no surrounding spaces), as `UUID(uuidString:)` accepts.
    public init?(canonicalText text: some StringProtocol) {
        var parsed: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &parsed) { out in
            var utf8 = text.utf8.makeIterator()
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard utf8.next() == UInt8(ascii: "-") else { return false }
                }
                guard let high = utf8.next().flatMap(Self.hexValue), let low = utf8.next().flatMap(Self.hexValue) else { return false }
                out[index] = high << 4 | low
            }
            return utf8.next() == nil
        }
        guard valid else { return nil }
        self.init(uuid: parsed)
    }

    private static let lowerHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
