/// Serializes JSON compactly into UTF-8 bytes.
///
/// Object members are written sorted by key, so equal values always give equal bytes. `appendRaw` splices in
/// text that is already JSON (a stored document) without parsing it again.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public static func string(from value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.append(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    public static func bytes(from value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.append(value)
        return writer.bytes
    }

    public mutating func append(_ value: JSONValue) {
        switch value {
        case .null: appendASCII("null")
        case .bool(let bool): appendASCII(bool ? "true" : "false")
        case .number(let number): append(number)
        case .string(let string): append(string)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(key)
                bytes.append(UInt8(ascii: ":"))
                append(members[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    public mutating func append(_ number: JSONNumber) {
        switch number {
        case .integer(let value): appendASCII(String(value))
        case .double(let value):
            // Integral doubles print as "3.0"; large ones as "1e+20". Both are valid JSON numbers.
            appendASCII(value.description)
        case .text(let text, _): appendASCII(text)
        }
    }

    public mutating func append(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): appendASCII("\\\"")
            case UInt8(ascii: "\\"): appendASCII("\\\\")
            case 0x0A: appendASCII("\\n")
            case 0x0D: appendASCII("\\r")
            case 0x09: appendASCII("\\t")
            case 0x08: appendASCII("\\b")
            case 0x0C: appendASCII("\\f")
            case 0..<0x20:
                appendASCII("\\u00")
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0F))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends text that is already a serialized JSON value.
    public mutating func appendRaw(_ json: String) {
        bytes.append(contentsOf: json.utf8)
    }

    /// Appends structural characters (`{`, `,`, `:` …) or other pure-ASCII JSON text.
    public mutating func appendASCII(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Writes `"key":`, for building objects member by member.
    public mutating func appendKey(_ key: String) {
        append(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
