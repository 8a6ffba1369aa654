import JSON
import JSONSchema

/// A request body that broke the rules: the HTTP layer answers 400 with these details.
public struct InvalidRequest: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let violations: [ValidationError]

    public init(_ message: String, violations: [ValidationError] = []) {
        self.message = message
        self.violations = violations
    }

    public var description: String {
        violations.isEmpty ? message : message + ": " + violations.map(\.description).joined(separator: "; ")
    }
}

/// The only protocol version spoken on the protocol-1 routes.
public let supportedProtocolVersion: Int64 = 1

extension JSONSchema {
    /// Refuses `body` unless it satisfies this schema; messages are only built for a body that fails.
    func require(_ body: JSONValue) throws(InvalidRequest) {
        guard !isValid(body) else { return }
        throw InvalidRequest("request body does not match the protocol-1 schema", violations: validate(body))
    }
}

func requireSupportedProtocol(_ members: [String: JSONValue]) throws(InvalidRequest) {
    let version = members["protocol"]?.numberValue
    guard version == .integer(supportedProtocolVersion) else {
        throw InvalidRequest("unsupported protocol \(version.map { "\($0)" } ?? "?"); this AFM speaks protocol 1")
    }
}
