/// Thrift's wire types, as the binary protocol numbers them.
public enum ThriftType: UInt8, Sendable, CaseIterable {
    case stop = 0
    case bool = 2
    case byte = 3
    case double = 4
    case i16 = 6
    case i32 = 8
    case i64 = 10
    /// Strings and binary share this type: a length, then bytes.
    case string = 11
    case structure = 12
    case map = 13
    case set = 14
    case list = 15
}

/// Any value the binary protocol can carry. The codec reads and writes these; the data-bridge service maps its
/// structs onto them, so every type (including ones the service does not use) round-trips and can be skipped.
public indirect enum ThriftValue: Sendable, Equatable {
    case bool(Bool)
    case byte(Int8)
    case i16(Int16)
    case i32(Int32)
    case i64(Int64)
    case double(Double)
    /// A string (UTF-8) or binary field: both are a length and bytes on the wire.
    case binary([UInt8])
    case structure(ThriftStruct)
    case map(key: ThriftType, value: ThriftType, entries: [ThriftMapEntry])
    case set(ThriftType, [ThriftValue])
    case list(ThriftType, [ThriftValue])

    public static func string(_ text: String) -> ThriftValue { .binary(Array(text.utf8)) }

    public var type: ThriftType {
        switch self {
        case .bool: .bool
        case .byte: .byte
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        case .double: .double
        case .binary: .string
        case .structure: .structure
        case .map: .map
        case .set: .set
        case .list: .list
        }
    }

    /// The text of a string field; nil for other types and for bytes that are not UTF-8.
    public var string: String? {
        guard case .binary(let bytes) = self else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    public var structure: ThriftStruct? {
        guard case .structure(let value) = self else { return nil }
        return value
    }

    /// The elements of a list or set whose element type is `type`.
    public func elements(of type: ThriftType) -> [ThriftValue]? {
        switch self {
        case .list(let elementType, let values), .set(let elementType, let values):
            return elementType == type ? values : nil
        default:
            return nil
        }
    }
}

public struct ThriftMapEntry: Sendable, Equatable {
    public var key: ThriftValue
    public var value: ThriftValue

    public init(key: ThriftValue, value: ThriftValue) {
        self.key = key
        self.value = value
    }
}

/// A struct (also an exception, or a method's argument or result struct): fields in wire order.
public struct ThriftStruct: Sendable, Equatable {
    public var fields: [ThriftField]

    public init(_ fields: [ThriftField] = []) {
        self.fields = fields
    }

    /// The first field with this id.
    public subscript(id: Int16) -> ThriftValue? {
        fields.first { $0.id == id }?.value
    }

    /// Adds a field unless the value is nil (an unset optional field is not written).
    public mutating func append(_ id: Int16, _ value: ThriftValue?) {
        if let value { fields.append(ThriftField(id: id, value: value)) }
    }
}

public struct ThriftField: Sendable, Equatable {
    public var id: Int16
    public var value: ThriftValue

    public init(id: Int16, value: ThriftValue) {
        self.id = id
        self.value = value
    }
}
