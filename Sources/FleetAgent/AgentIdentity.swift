import Foundation

/// The agent's id, created once and kept in the state directory, so that the AFM sees one agent across restarts.
public enum AgentIdentity {
    public static func load(stateDirectory: String) throws -> UUID {
        let path = stateDirectory + "/agent-id"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let id = UUID(uuidString: trimmed) else {
                throw AgentConfigurationError("\(path) does not hold an agent id (a UUID): \(trimmed.prefix(60))")
            }
            return id
        }
        let id = UUID()
        do {
            try DurableFile.write(Array((id.uuidString.lowercased() + "\n").utf8), to: path)
        } catch {
            throw AgentConfigurationError("cannot keep the agent id in \(stateDirectory): \(error)")
        }
        return id
    }
}

/// A configuration or environment problem that stops the agent with one line.
public struct AgentConfigurationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
