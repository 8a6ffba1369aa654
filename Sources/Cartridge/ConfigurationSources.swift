/// The sources a cartridge setting comes from, strongest first: `agent.conf` (`[agent]` section), the
/// launch-parameters payload, environment variables (the key upper-cased with `_` for `.`: `mb.urls` → `MB_URLS`),
/// then the built-in default. A value that is empty, blank or `null` (any case) counts as absent and falls through.
public struct ConfigurationSources: Sendable {
    public var agentConf: [String: String]
    public var payload: [String: String]
    public var environment: [String: String]

    public init(agentConf: [String: String] = [:], payload: [String: String] = [:], environment: [String: String] = [:]) {
        self.agentConf = agentConf
        self.payload = payload
        self.environment = environment
    }

    /// The value and where it came from, or nil when no source has one.
    public func lookup(_ key: String) -> (value: String, source: String)? {
        if let value = Self.present(agentConf[key]) { return (value, "agent.conf") }
        if let value = Self.present(payload[key]) { return (value, "launch parameters") }
        let variable = Self.environmentName(key)
        if let value = Self.present(environment[variable]) { return (value, "environment \(variable)") }
        return nil
    }

    public static func environmentName(_ key: String) -> String {
        key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    static func present(_ value: String?) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty,
            trimmed.lowercased() != "null"
        else { return nil }
        return trimmed
    }

    /// `agent.conf`: an INI file whose `[agent]` section holds `key = value` (or `key: value`) lines; `#` and `;`
    /// start comments. Other sections are ignored.
    public static func parseAgentConf(_ text: String) throws(CartridgeConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        var section: String?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw CartridgeConfigurationError("agent.conf line \(number + 1): malformed section header \(line)") }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw CartridgeConfigurationError("agent.conf line \(number + 1): expected key = value, got \(line)")
            }
            guard section == "agent" else { continue }
            let key = line[..<separator].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            values[key] = value
        }
        return values
    }

    /// The launch-parameters payload: `KEY=VALUE,KEY=VALUE`. A value keeps everything after the first `=` (the
    /// original cut it at a second `=`); pieces without `=` are skipped.
    public static func parsePayload(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for piece in text.split(separator: ",") {
            let trimmed = piece.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { continue }
            values[key] = String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        }
        return values
    }
}

/// A configuration mistake that stops the agent with one line naming the key.
public struct CartridgeConfigurationError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

import Foundation
