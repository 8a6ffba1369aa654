/// The calls of `ThriftSecureEventTransmissionService`; the plain `ThriftEventTransmissionService` has the same
/// calls but `connect` and `disconnect`, with the same signatures.
public enum DatabridgeCall: Sendable, Equatable {
    case connect(userName: String, password: String)
    case disconnect(sessionID: String)
    case defineStream(sessionID: String, definition: String)
    case findStreamID(sessionID: String, name: String, version: String)
    case publish(EventBundle)
    case deleteStreamByID(sessionID: String, streamID: String)
    case deleteStreamByNameVersion(sessionID: String, name: String, version: String)

    /// The method name on the wire.
    public var methodName: String {
        switch self {
        case .connect: "connect"
        case .disconnect: "disconnect"
        case .defineStream: "defineStream"
        case .findStreamID: "findStreamId"
        case .publish: "publish"
        case .deleteStreamByID: "deleteStreamById"
        case .deleteStreamByNameVersion: "deleteStreamByNameVersion"
        }
    }

    /// The argument struct.
    public var arguments: ThriftStruct {
        func strings(_ values: String...) -> ThriftStruct {
            ThriftStruct(values.enumerated().map { ThriftField(id: Int16($0.offset + 1), value: .string($0.element)) })
        }
        switch self {
        case .connect(let user, let password): return strings(user, password)
        case .disconnect(let session): return strings(session)
        case .defineStream(let session, let definition): return strings(session, definition)
        case .findStreamID(let session, let name, let version): return strings(session, name, version)
        case .publish(let bundle): return ThriftStruct([ThriftField(id: 1, value: .structure(bundle.thrift))])
        case .deleteStreamByID(let session, let stream): return strings(session, stream)
        case .deleteStreamByNameVersion(let session, let name, let version): return strings(session, name, version)
        }
    }

    public var message: ThriftMessage {
        ThriftMessage(name: methodName, kind: .call, sequenceID: 0, body: arguments)
    }

    /// The call a message asks for; an unknown method throws the application error a Thrift server answers with.
    /// Missing or mistyped string arguments read as empty, as generated servers leave them unset.
    public init(methodName: String, arguments: ThriftStruct) throws(ThriftApplicationError) {
        func text(_ id: Int16) -> String { arguments[id]?.string ?? "" }
        switch methodName {
        case "connect": self = .connect(userName: text(1), password: text(2))
        case "disconnect": self = .disconnect(sessionID: text(1))
        case "defineStream": self = .defineStream(sessionID: text(1), definition: text(2))
        case "findStreamId": self = .findStreamID(sessionID: text(1), name: text(2), version: text(3))
        case "publish": self = .publish(EventBundle(arguments[1]?.structure ?? ThriftStruct()))
        case "deleteStreamById": self = .deleteStreamByID(sessionID: text(1), streamID: text(2))
        case "deleteStreamByNameVersion": self = .deleteStreamByNameVersion(sessionID: text(1), name: text(2), version: text(3))
        default: throw ThriftApplicationError("Invalid method name: '\(methodName)'", code: .unknownMethod)
        }
    }

    /// The exceptions this method declares, by result-struct field id.
    public var declaredFaults: [Int16: DatabridgeFault] {
        switch self {
        case .connect: [1: .authentication("")]
        case .disconnect: [:]
        case .defineStream:
            [1: .differentStreamDefinitionAlreadyDefined(""), 2: .malformedStreamDefinition(""), 3: .streamDefinition(""), 4: .sessionExpired("")]
        case .findStreamID: [1: .noStreamDefinitionExist(""), 2: .sessionExpired("")]
        case .publish: [1: .undefinedEventType(""), 2: .sessionExpired("")]
        case .deleteStreamByID, .deleteStreamByNameVersion: [1: .sessionExpired("")]
        }
    }
}

/// What a data-bridge method returns: a string (session or stream id), a flag (deletes), or nothing.
public enum DatabridgeReturn: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case void

    public var string: String? {
        if case .string(let text) = self { text } else { nil }
    }
}

extension DatabridgeCall {
    /// The reply message for an outcome of this call: success in field 0, a declared exception in its field.
    /// A fault the method does not declare cannot be sent as such; it becomes an application error.
    public func reply(_ outcome: Result<DatabridgeReturn, DatabridgeFault>, sequenceID: Int32) -> ThriftMessage {
        var body = ThriftStruct()
        switch outcome {
        case .success(.string(let text)): body.append(0, .string(text))
        case .success(.bool(let flag)): body.append(0, .bool(flag))
        case .success(.void): break
        case .failure(let fault):
            guard let id = declaredFaults.first(where: { $0.value.sameKind(as: fault) })?.key else {
                let error = ThriftApplicationError(fault.description, code: .internalError)
                return ThriftMessage(name: methodName, kind: .exception, sequenceID: sequenceID, body: error.body)
            }
            body.append(id, .structure(ThriftStruct([ThriftField(id: 1, value: .string(fault.message))])))
        }
        return ThriftMessage(name: methodName, kind: .reply, sequenceID: sequenceID, body: body)
    }

    /// Reads the reply to this call: the returned value, or the declared exception it carries.
    public func decodeReply(_ message: ThriftMessage) throws(DatabridgeError) -> DatabridgeReturn {
        if message.kind == .exception { throw .application(ThriftApplicationError(message.body)) }
        guard message.kind == .reply else { throw .protocolViolation("expected a reply, got a \(message.kind) message") }
        guard message.name == methodName else { throw .protocolViolation("a reply to '\(message.name)' arrived for '\(methodName)'") }
        for (id, fault) in declaredFaults {
            if let exception = message.body[id]?.structure {
                throw .fault(fault.with(message: exception[1]?.string ?? ""))
            }
        }
        switch self {
        case .connect, .defineStream, .findStreamID:
            guard let text = message.body[0]?.string else { throw .protocolViolation("\(methodName) returned no string") }
            return .string(text)
        case .deleteStreamByID, .deleteStreamByNameVersion:
            guard case .bool(let flag) = message.body[0] else { throw .protocolViolation("\(methodName) returned no bool") }
            return .bool(flag)
        case .disconnect, .publish:
            return .void
        }
    }
}

/// Why a data-bridge call did not return.
public enum DatabridgeError: Error, Sendable, CustomStringConvertible {
    /// The receiver answered with one of the method's declared exceptions.
    case fault(DatabridgeFault)
    /// The receiver could not process the call (unknown method, internal error).
    case application(ThriftApplicationError)
    /// The answer was not a valid reply to the call.
    case protocolViolation(String)
    /// The connection failed, closed, or did not answer in time.
    case transport(String)

    public var description: String {
        switch self {
        case .fault(let fault): fault.description
        case .application(let error): "TApplicationException \(error)"
        case .protocolViolation(let text): "protocol violation: \(text)"
        case .transport(let text): text
        }
    }
}
