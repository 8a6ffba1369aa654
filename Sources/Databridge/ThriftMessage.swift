/// One Thrift message: a call, its reply, or an application exception, with its body struct.
public struct ThriftMessage: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case call = 1
        case reply = 2
        case exception = 3
        case oneway = 4
    }

    public var name: String
    public var kind: Kind
    public var sequenceID: Int32
    public var body: ThriftStruct

    public init(name: String, kind: Kind, sequenceID: Int32 = 0, body: ThriftStruct) {
        self.name = name
        self.kind = kind
        self.sequenceID = sequenceID
        self.body = body
    }

    public var encoded: [UInt8] {
        var writer = ThriftBinaryWriter()
        writer.write(self)
        return writer.bytes
    }
}

/// Thrift's own error reply (`TApplicationException`): the call could not be processed at all.
public struct ThriftApplicationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The standard codes a peer understands.
    public enum Code: Int32, Sendable {
        case unknown = 0
        case unknownMethod = 1
        case invalidMessageType = 2
        case wrongMethodName = 3
        case badSequenceID = 4
        case missingResult = 5
        case internalError = 6
        case protocolError = 7
    }

    public var message: String
    public var code: Code

    public init(_ message: String, code: Code) {
        self.message = message
        self.code = code
    }

    init(_ body: ThriftStruct) {
        message = body[1]?.string ?? ""
        if case .i32(let raw) = body[2] { code = Code(rawValue: raw) ?? .unknown } else { code = .unknown }
    }

    var body: ThriftStruct {
        ThriftStruct([ThriftField(id: 1, value: .string(message)), ThriftField(id: 2, value: .i32(code.rawValue))])
    }

    public var description: String { "\(code): \(message)" }
}
