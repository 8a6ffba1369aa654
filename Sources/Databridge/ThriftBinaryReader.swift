/// Bounds on what a peer may make the reader allocate or recurse into.
public struct ThriftLimits: Sendable {
    /// The largest message accepted, in bytes.
    public var maximumMessageBytes: Int
    /// The deepest nesting of structs and containers.
    public var maximumDepth: Int

    public init(maximumMessageBytes: Int = 16 << 20, maximumDepth: Int = 64) {
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumDepth = maximumDepth
    }
}

public enum ThriftDecodingError: Error, Sendable, Equatable {
    /// The bytes so far are a valid prefix; at least `atLeast` bytes in all are needed to go on.
    case needMoreBytes(atLeast: Int)
    /// The bytes cannot be a message (wrong version, unknown type, negative or oversized length, too deep).
    case malformed(String)
}

/// Reads Thrift's binary protocol from a byte array. Every length is checked against the bytes present and
/// the limits before anything is allocated, so garbage and huge lengths are refused without cost.
public struct ThriftBinaryReader {
    private let bytes: [UInt8]
    public private(set) var offset: Int
    private let limits: ThriftLimits
    private var depth = 0

    public init(_ bytes: [UInt8], limits: ThriftLimits = ThriftLimits()) {
        self.bytes = bytes
        self.offset = 0
        self.limits = limits
    }

    /// A message: strict header (version 1) or the old header without a version, as Thrift's own servers accept.
    public mutating func readMessage() throws(ThriftDecodingError) -> ThriftMessage {
        let first = try readI32()
        let name: String
        let kindByte: UInt8
        if first < 0 {
            let word = UInt32(bitPattern: first)
            guard word & 0xffff_0000 == 0x8001_0000 else {
                throw .malformed("bad protocol version 0x\(String(word & 0xffff_0000, radix: 16))")
            }
            kindByte = UInt8(word & 0xff)
            name = try readText()
        } else {
            name = try readText(length: Int(first))
            kindByte = try readByte()
        }
        guard let kind = ThriftMessage.Kind(rawValue: kindByte) else { throw .malformed("unknown message type \(kindByte)") }
        let sequenceID = try readI32()
        let body = try readStruct()
        return ThriftMessage(name: name, kind: kind, sequenceID: sequenceID, body: body)
    }

    public mutating func readStruct() throws(ThriftDecodingError) -> ThriftStruct {
        try enter()
        defer { depth -= 1 }
        var result = ThriftStruct()
        while true {
            let typeByte = try readByte()
            if typeByte == ThriftType.stop.rawValue { return result }
            let type = try wireType(typeByte)
            let id = try readI16()
            result.fields.append(ThriftField(id: id, value: try readValue(type)))
        }
    }

    public mutating func readValue(_ type: ThriftType) throws(ThriftDecodingError) -> ThriftValue {
        switch type {
        case .stop: throw .malformed("a value cannot have the stop type")
        case .bool:
            let byte = try readByte()
            return .bool(byte != 0)
        case .byte: return .byte(Int8(bitPattern: try readByte()))
        case .i16: return .i16(try readI16())
        case .i32: return .i32(try readI32())
        case .i64: return .i64(try readI64())
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: try readI64())))
        case .string: return .binary(try readBytes(length: try readI32()))
        case .structure: return .structure(try readStruct())
        case .map:
            try enter()
            defer { depth -= 1 }
            let keyType = try wireType(try readByte())
            let valueType = try wireType(try readByte())
            let count = try elementCount()
            var entries: [ThriftMapEntry] = []
            for _ in 0..<count {
                let key = try readValue(keyType)
                entries.append(ThriftMapEntry(key: key, value: try readValue(valueType)))
            }
            return .map(key: keyType, value: valueType, entries: entries)
        case .set, .list:
            try enter()
            defer { depth -= 1 }
            let elementType = try wireType(try readByte())
            let count = try elementCount()
            var elements: [ThriftValue] = []
            for _ in 0..<count { elements.append(try readValue(elementType)) }
            return type == .set ? .set(elementType, elements) : .list(elementType, elements)
        }
    }

    private mutating func enter() throws(ThriftDecodingError) {
        depth += 1
        if depth > limits.maximumDepth { throw .malformed("nesting deeper than \(limits.maximumDepth)") }
    }

    private func wireType(_ byte: UInt8) throws(ThriftDecodingError) -> ThriftType {
        guard let type = ThriftType(rawValue: byte), type != .stop else { throw .malformed("unknown field type \(byte)") }
        return type
    }

    /// A container size: never negative, and each element takes at least one byte, so a count beyond the
    /// message limit can be refused before reading on.
    private mutating func elementCount() throws(ThriftDecodingError) -> Int {
        let count = Int(try readI32())
        guard count >= 0 else { throw .malformed("negative container size \(count)") }
        try require(count)
        return count
    }

    /// Fails unless `count` more bytes are present, or says how many bytes the whole message needs at least.
    private func require(_ count: Int) throws(ThriftDecodingError) {
        let needed = offset + count
        guard needed <= limits.maximumMessageBytes else {
            throw .malformed("a length of \(count) bytes exceeds the \(limits.maximumMessageBytes)-byte message limit")
        }
        if needed > bytes.count { throw .needMoreBytes(atLeast: needed) }
    }

    private mutating func readByte() throws(ThriftDecodingError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func readI16() throws(ThriftDecodingError) -> Int16 {
        try require(2)
        defer { offset += 2 }
        return Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))
    }

    private mutating func readI32() throws(ThriftDecodingError) -> Int32 {
        try require(4)
        var value: UInt32 = 0
        for index in offset..<(offset + 4) { value = value << 8 | UInt32(bytes[index]) }
        offset += 4
        return Int32(bitPattern: value)
    }

    private mutating func readI64() throws(ThriftDecodingError) -> Int64 {
        try require(8)
        var value: UInt64 = 0
        for index in offset..<(offset + 8) { value = value << 8 | UInt64(bytes[index]) }
        offset += 8
        return Int64(bitPattern: value)
    }

    private mutating func readBytes(length: Int32) throws(ThriftDecodingError) -> [UInt8] {
        guard length >= 0 else { throw .malformed("negative string length \(length)") }
        try require(Int(length))
        defer { offset += Int(length) }
        return Array(bytes[offset..<(offset + Int(length))])
    }

    private mutating func readText() throws(ThriftDecodingError) -> String {
        try readText(length: Int(try readI32()))
    }

    private mutating func readText(length: Int) throws(ThriftDecodingError) -> String {
        let data = try readBytes(length: Int32(clamping: length))
        guard let text = String(validating: data, as: UTF8.self) else { throw .malformed("a method name is not UTF-8") }
        return text
    }
}
