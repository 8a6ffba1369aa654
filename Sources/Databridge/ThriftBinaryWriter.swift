/// Writes Thrift's binary protocol: big-endian integers, IEEE doubles, length-prefixed strings.
public struct ThriftBinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// A strict message header (version 1 in the top half of the first word), then the body struct.
    public mutating func write(_ message: ThriftMessage) {
        writeI32(Int32(bitPattern: 0x8001_0000 | UInt32(message.kind.rawValue)))
        writeString(Array(message.name.utf8))
        writeI32(message.sequenceID)
        writeStruct(message.body)
    }

    public mutating func writeStruct(_ value: ThriftStruct) {
        for field in value.fields {
            bytes.append(field.value.type.rawValue)
            writeI16(field.id)
            write(field.value)
        }
        bytes.append(ThriftType.stop.rawValue)
    }

    public mutating func write(_ value: ThriftValue) {
        switch value {
        case .bool(let flag): bytes.append(flag ? 1 : 0)
        case .byte(let number): bytes.append(UInt8(bitPattern: number))
        case .i16(let number): writeI16(number)
        case .i32(let number): writeI32(number)
        case .i64(let number): writeI64(number)
        case .double(let number): writeI64(Int64(bitPattern: number.bitPattern))
        case .binary(let data): writeString(data)
        case .structure(let fields): writeStruct(fields)
        case .map(let keyType, let valueType, let entries):
            bytes.append(keyType.rawValue)
            bytes.append(valueType.rawValue)
            writeI32(Int32(entries.count))
            for entry in entries {
                write(entry.key)
                write(entry.value)
            }
        case .set(let elementType, let elements), .list(let elementType, let elements):
            bytes.append(elementType.rawValue)
            writeI32(Int32(elements.count))
            for element in elements { write(element) }
        }
    }

    private mutating func writeString(_ data: [UInt8]) {
        writeI32(Int32(data.count))
        bytes.append(contentsOf: data)
    }

    private mutating func writeI16(_ number: Int16) {
        let value = UInt16(bitPattern: number)
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    private mutating func writeI32(_ number: Int32) {
        let value = UInt32(bitPattern: number)
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xff)) }
    }

    private mutating func writeI64(_ number: Int64) {
        let value = UInt64(bitPattern: number)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xff)) }
    }
}
