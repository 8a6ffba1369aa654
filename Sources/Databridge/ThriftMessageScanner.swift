/// Finds where one binary-protocol message ends in a stream that arrives in pieces, looking at each byte once.
///
/// The reader parses a whole message; parsing again from the start each time a piece arrived made a large message
/// quadratic (a 15 MB message trickled in 8 KB writes cost 41 CPU-seconds). The scanner keeps its place between
/// pieces (what is left to skip, as a stack) and says how long the message is once its last byte is there; the
/// reader then parses it once. Lengths, element counts, types and depth are checked against the same limits.
struct ThriftMessageScanner {
    private enum Pending {
        case header
        /// Fields until the stop byte.
        case fields
        case value(ThriftType)
        /// Elements of a list or set (one type), or keys and values of a map (alternating), still to come.
        case elements(first: ThriftType, second: ThriftType?, remaining: Int)
    }

    private let limits: ThriftLimits
    private var pending: [Pending] = [.header]
    /// Bytes of the message scanned so far.
    private var offset = 0

    init(limits: ThriftLimits) {
        self.limits = limits
    }

    /// The length of the message that starts at the beginning of `bytes` (which starts where the previous call's did,
    /// with more appended), or nil while it is incomplete.
    mutating func messageLength(in bytes: UnsafeRawBufferPointer) throws(ThriftDecodingError) -> Int? {
        while let next = pending.popLast() {
            switch next {
            case .header:
                guard let end = try headerEnd(in: bytes) else {
                    pending.append(.header)
                    return nil
                }
                offset = end
                pending.append(.fields)
            case .fields:
                guard try available(1, in: bytes) else { return wait(for: next) }
                let typeByte = bytes[offset]
                if typeByte == ThriftType.stop.rawValue {
                    offset += 1
                    continue
                }
                guard try available(3, in: bytes) else { return wait(for: next) }
                let type = try wireType(typeByte)
                offset += 3
                pending.append(.fields)
                pending.append(.value(type))
            case .value(let type):
                guard try skip(type, in: bytes) else { return wait(for: next) }
            case .elements(let first, let second, let remaining):
                guard remaining > 0 else { continue }
                pending.append(.elements(first: second ?? first, second: second == nil ? nil : first, remaining: remaining - 1))
                pending.append(.value(first))
            }
            try checkDepth()
        }
        defer { reset() }
        return offset
    }

    private mutating func reset() {
        pending = [.header]
        offset = 0
    }

    private mutating func wait(for item: Pending) -> Int? {
        pending.append(item)
        return nil
    }

    /// Skips one value of `type`, or answers false (having skipped nothing) when its bytes are not all there yet.
    private mutating func skip(_ type: ThriftType, in bytes: UnsafeRawBufferPointer) throws(ThriftDecodingError) -> Bool {
        switch type {
        case .stop: throw .malformed("a value cannot have the stop type")
        case .bool, .byte: return try advance(1, in: bytes)
        case .i16: return try advance(2, in: bytes)
        case .i32: return try advance(4, in: bytes)
        case .i64, .double: return try advance(8, in: bytes)
        case .string:
            guard try available(4, in: bytes) else { return false }
            let length = Int(Self.int32(bytes, at: offset))
            guard length >= 0 else { throw .malformed("negative string length \(length)") }
            return try advance(4 + length, in: bytes)
        case .structure:
            pending.append(.fields)
            return true
        case .map:
            guard try available(6, in: bytes) else { return false }
            let key = try wireType(bytes[offset])
            let value = try wireType(bytes[offset + 1])
            let count = try elementCount(Int(Self.int32(bytes, at: offset + 2)), after: offset + 6)
            offset += 6
            pending.append(.elements(first: key, second: value, remaining: count * 2))
            return true
        case .set, .list:
            guard try available(5, in: bytes) else { return false }
            let element = try wireType(bytes[offset])
            let count = try elementCount(Int(Self.int32(bytes, at: offset + 1)), after: offset + 5)
            offset += 5
            pending.append(.elements(first: element, second: nil, remaining: count))
            return true
        }
    }

    /// The end of the message header (strict, or the old form without a version), or nil while incomplete.
    private func headerEnd(in bytes: UnsafeRawBufferPointer) throws(ThriftDecodingError) -> Int? {
        guard try available(4, in: bytes) else { return nil }
        let first = Self.int32(bytes, at: 0)
        var end: Int
        if first < 0 {
            guard UInt32(bitPattern: first) & 0xffff_0000 == 0x8001_0000 else {
                throw .malformed("bad protocol version 0x\(String(UInt32(bitPattern: first) & 0xffff_0000, radix: 16))")
            }
            guard try available(8, in: bytes) else { return nil }
            let nameLength = Int(Self.int32(bytes, at: 4))
            guard nameLength >= 0 else { throw .malformed("negative string length \(nameLength)") }
            end = 8 + nameLength + 4
        } else {
            end = 4 + Int(first) + 1 + 4
        }
        guard end <= limits.maximumMessageBytes else {
            throw .malformed("a length of \(end) bytes exceeds the \(limits.maximumMessageBytes)-byte message limit")
        }
        return end <= bytes.count ? end : nil
    }

    /// A container size: never negative, and each element takes at least one byte.
    private func elementCount(_ count: Int, after start: Int) throws(ThriftDecodingError) -> Int {
        guard count >= 0 else { throw .malformed("negative container size \(count)") }
        guard start + count <= limits.maximumMessageBytes else {
            throw .malformed("a length of \(count) bytes exceeds the \(limits.maximumMessageBytes)-byte message limit")
        }
        return count
    }

    private mutating func advance(_ count: Int, in bytes: UnsafeRawBufferPointer) throws(ThriftDecodingError) -> Bool {
        guard try available(count, in: bytes) else { return false }
        offset += count
        return true
    }

    /// Whether `count` more bytes are there; past the message limit is malformed.
    private func available(_ count: Int, in bytes: UnsafeRawBufferPointer) throws(ThriftDecodingError) -> Bool {
        guard offset + count <= limits.maximumMessageBytes else {
            throw .malformed("a length of \(count) bytes exceeds the \(limits.maximumMessageBytes)-byte message limit")
        }
        return offset + count <= bytes.count
    }

    private func checkDepth() throws(ThriftDecodingError) {
        // Every nested struct or container leaves one entry on the stack (plus the value being skipped).
        if pending.count > 2 * limits.maximumDepth + 2 { throw .malformed("nesting deeper than \(limits.maximumDepth)") }
    }

    private func wireType(_ byte: UInt8) throws(ThriftDecodingError) -> ThriftType {
        guard let type = ThriftType(rawValue: byte), type != .stop else { throw .malformed("unknown field type \(byte)") }
        return type
    }

    private static func int32(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3]))
    }
}
