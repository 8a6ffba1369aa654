/// The exceptions the data-bridge services declare; each carries one message (`1: required string message`).
public enum DatabridgeFault: Error, Sendable, Equatable, CustomStringConvertible {
    case authentication(String)
    case differentStreamDefinitionAlreadyDefined(String)
    case malformedStreamDefinition(String)
    case streamDefinition(String)
    case noStreamDefinitionExist(String)
    case undefinedEventType(String)
    case sessionExpired(String)

    public var message: String {
        switch self {
        case .authentication(let text), .differentStreamDefinitionAlreadyDefined(let text), .malformedStreamDefinition(let text),
            .streamDefinition(let text), .noStreamDefinitionExist(let text), .undefinedEventType(let text), .sessionExpired(let text):
            text
        }
    }

    /// The exception's name in the IDL.
    public var thriftName: String {
        switch self {
        case .authentication: "ThriftAuthenticationException"
        case .differentStreamDefinitionAlreadyDefined: "ThriftDifferentStreamDefinitionAlreadyDefinedException"
        case .malformedStreamDefinition: "ThriftMalformedStreamDefinitionException"
        case .streamDefinition: "ThriftStreamDefinitionException"
        case .noStreamDefinitionExist: "ThriftNoStreamDefinitionExistException"
        case .undefinedEventType: "ThriftUndefinedEventTypeException"
        case .sessionExpired: "ThriftSessionExpiredException"
        }
    }

    public var description: String { "\(thriftName): \(message)" }

    /// The same kind of exception with another message; used to map result-struct fields back to faults.
    func with(message: String) -> DatabridgeFault {
        switch self {
        case .authentication: .authentication(message)
        case .differentStreamDefinitionAlreadyDefined: .differentStreamDefinitionAlreadyDefined(message)
        case .malformedStreamDefinition: .malformedStreamDefinition(message)
        case .streamDefinition: .streamDefinition(message)
        case .noStreamDefinitionExist: .noStreamDefinitionExist(message)
        case .undefinedEventType: .undefinedEventType(message)
        case .sessionExpired: .sessionExpired(message)
        }
    }

    func sameKind(as other: DatabridgeFault) -> Bool { thriftName == other.thriftName }
}
